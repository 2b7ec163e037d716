"""Support code for Section 2, "Convolutional Neural Networks II".

Importing this package first sets the environment TensorFlow reads at import time:
- ``TF_ENABLE_ONEDNN_OPTS=0``: with oneDNN on, an eager ``GradientTape`` through a 1x1 stride-2
  convolution can crash TensorFlow 2.21 on some CPUs;
- ``TF_CPP_MIN_LOG_LEVEL=3``: TensorFlow's C++ start-up chatter goes to stderr, which nbgrader
  counts against a test cell.
Both are defaults only: a value already in the environment wins.
"""
import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
