#!/bin/sh
# The digits MLP epoch in lazynp and in NumPy, one thread each, measured in one run: the two
# programs alternate three times so both see the same machine state. Run from the repository
# root. NumPy comes from benches/peers/digits_numpy.py, run with $PYTHON (default python3),
# which must have NumPy installed (python3 -m pip install numpy).
#
#     sh benches/peers/digits_compare.sh
set -eu
PY=${PYTHON:-python3}
cargo build --release --quiet --example digits
for round in 1 2 3; do
    lazy=$(./target/release/examples/digits --threads 1 --epochs 20 |
        sed -n '/== MLP/,$p' | sed -n 's/^time per epoch: fused \([0-9.]*\) ms.*/\1/p')
    numpy=$("$PY" benches/peers/digits_numpy.py --epochs 20 |
        sed -n 's/.*"ms_per_epoch_median": \([0-9.]*\).*/\1/p')
    echo "round $round: lazynp fused $lazy ms/epoch, NumPy $numpy ms/epoch"
done
