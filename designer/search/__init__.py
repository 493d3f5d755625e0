"""Search over models and settings: the model finder (linear probes on a shortlist) and Optuna
sweeps over the project's runs. No Qt: the GUI runs these through ``designer.workers``.
"""
