export V=/root/.cache/netdesigner/venv-97fe484f70c97e96
export PYTHONPATH=/work/wt/opening QT_QPA_PLATFORM=offscreen PATH=$V/bin:$PATH
