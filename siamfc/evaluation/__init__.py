"""Evaluation: benchmark protocols (OTB OPE, VOT supervised, GOT-10k, LaSOT), runner, reports, peers.

from siamfc.evaluation.ope import score_sequence, summarize   # OTB success / precision
from siamfc.evaluation.runner import run_dataset               # drive any tracker over a dataset
from siamfc.evaluation.report import evaluate_results          # score result folders
"""
