"""Exporting a shallownet model to other runtimes (``onnx``: :func:`shallownet.to_onnx`)."""
