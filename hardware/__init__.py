"""The machine the local model runs on: CPU cores, NVIDIA GPUs, memory, and the llama.cpp settings they call for.

A package of its own because it is neither memory (Mnemo's stores) nor models (what talks to a model): it only
looks at the hardware, so the model loader, the API's memory watch and `mnemo doctor` all read the same facts.
"""
