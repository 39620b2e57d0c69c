#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the shipped data sets,
# the reference fixtures, the hand-written seeds in fuzz/seeds/, and models saved by the
# release `tidewater` binary (their payloads, without the header: the checkpoint target
# frames its input with a valid header and CRC). Run from the repository root after
# `cargo build --release`; rerunning it rewrites the seed files (libFuzzer adds its own).
set -euo pipefail
cd "$(dirname "$0")/.."
TW=${TW:-target/release/tidewater}
C=fuzz/corpus
mkdir -p $C/csv $C/number $C/libsvm $C/vw $C/spec $C/checkpoint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# CSV: the first rows of every shipped data set, and the reference CSV.
for f in datasets/data/*.csv.gz; do
    n=$(basename "$f" .csv.gz)
    { gzip -dc "$f" || true; } | head -n 30 > $C/csv/$n.csv
done
head -n 30 ../shared/reference/online/phishing.csv > $C/csv/reference_phishing.csv 2>/dev/null || true
cp fuzz/seeds/*.csv $C/csv/

# Numbers: columns of numbers as the drift reader sees them, and hand-written edge cases.
{ gzip -dc datasets/data/diabetes.csv.gz || true; } | head -n 40 | cut -d, -f1 > $C/number/diabetes_col.csv
cp fuzz/seeds/*.num $C/number/

# LIBSVM and VW: iris and phishing rows converted, and hand-written edge cases.
gzip -dc datasets/data/iris.csv.gz | awk -F, 'NR>1 && NR<40 {printf "%s", ($5=="setosa"?1:-1); for(i=1;i<5;i++) printf " %d:%s", i, $i; print ""}' > $C/libsvm/iris.svm
gzip -dc datasets/data/iris.csv.gz | awk -F, 'NR>1 && NR<40 {printf "%s |f", ($5=="setosa"?1:-1); for(i=1;i<5;i++) printf " x%d:%s", i, $i; print ""}' > $C/vw/iris.vw
cp fuzz/seeds/*.svm $C/libsvm/
cp fuzz/seeds/*.vw $C/vw/

# Specs: every model, transformer and detector by name, and hand-written pipelines.
$TW list --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for group in ("models", "transformers", "detectors", "generators"):
    for e in d.get(group, []):
        params = ",".join("%s=%s" % (p["name"], p["default"]) for p in e["params"] if p["default"] not in (None, "none", ""))
        print(e["name"] + (f"({params})" if params else ""))
' > "$tmp/specs"
i=0
while IFS= read -r line; do
    printf '%s' "$line" > $C/spec/list_$i.txt
    i=$((i + 1))
done < "$tmp/specs"
cp fuzz/seeds/*.spec $C/spec/

# Checkpoints: small models of every role saved by the binary, payload only.
save() { # name spec data-args...
    local name=$1 spec=$2
    shift 2
    if $TW fit --model "$spec" "$@" --limit 200 --save "$tmp/$name.tw" >/dev/null 2>&1 ||
        $TW learn --model "$spec" "$@" --limit 200 --save "$tmp/$name.tw" >/dev/null 2>&1; then
        python3 - "$tmp/$name.tw" "$C/checkpoint/$name.bin" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
i = 8 + 2 + 1
kl = struct.unpack_from("<H", b, i)[0]; i += 2 + kl
vl = b[i]; i += 1 + vl
n = struct.unpack_from("<Q", b, i)[0]; i += 8 + 4
open(sys.argv[2], "wb").write(b[i:i + n])
PY
    fi
}
for m in gaussian_nb prior_classifier no_change_classifier softmax_regression hoeffding_tree \
    decision_tree "random_forest(n_estimators=3)" hoeffding_adaptive_tree \
    "adaptive_random_forest(n_models=2)" efdt; do
    save "iris_$(echo "$m" | tr -c 'a-z_0-9' '_')" "standard_scaler|$m" --dataset iris
    save "iris_plain_$(echo "$m" | tr -c 'a-z_0-9' '_')" "$m" --dataset iris
done
for m in logistic_regression ftrl pa_classifier perceptron multinomial_nb bernoulli_nb; do
    save "phishing_$m" "$m" --dataset phishing
done
for m in mean_regressor linear_regression ridge pa_regressor decision_tree_regressor \
    "random_forest_regressor(n_estimators=3)" hoeffding_tree_regressor \
    hoeffding_adaptive_tree_regressor "adaptive_random_forest_regressor(n_models=2)"; do
    save "diabetes_$(echo "$m" | tr -c 'a-z_0-9' '_')" "$m" --dataset diabetes
done
for m in standard_scaler min_max_scaler max_abs_scaler robust_scaler normalizer \
    adaptive_standard_scaler k_bins_discretizer pca incremental_pca passthrough \
    kmeans minibatch_kmeans clustream dbstream; do
    save "wine_$m" "$m" --dataset wine --target target
done
save "bananas_union" "union(parts=[standard_scaler,pca(n_components=2)])|gaussian_nb" --dataset bananas
save "chick_onehot" "one_hot_encoder(columns=[diet])|stat_imputer|linear_regression" --dataset chick_weights --target weight
save "trump_tree" "hoeffding_tree_regressor" --dataset trump_approval
save "svm_ftrl" "ftrl" --data $C/libsvm/iris.svm --bits 4
save "vw_logistic" "logistic_regression" --data $C/vw/iris.vw --bits 5
ls $C/* | wc -l
