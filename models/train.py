#!/usr/bin/python3
"""Train predictql's request-latency models and write them, with manifests, to models/.

Run by hand (not in CI), with Debian's Python and packages:

    apt-get install -y --no-install-recommends python3-torch python3-onnx python3-xgboost python3-numpy
    /usr/bin/python3 models/train.py            # request-latency + request-latency-gbdt + sample-requests.json
    /usr/bin/python3 models/train.py --heavy    # also request-latency-heavy (large MLP, for load tests)

Everything is seeded and single-threaded so that a rerun on the same package versions rewrites the same bytes.

Synthetic data set: latency of one HTTP request to a service instance
--------------------------------------------------------------------
Eight float32 features, in this order (the order is the ONNX input's column order):

  payloadKb          KiB   0..10240  log-uniform between 0.1 and 10240 KiB, 3% of requests exactly 0 (GETs).
  concurrency        1     1..1024   round(2 ** U(0, 10)): in-flight requests on the instance.
  cpuUtilization     frac  0..1      clip(0.7 * Beta(2, 3) + 0.3 * log2(concurrency) / 10 + N(0, 0.05), 0, 1):
                                     busier instances run hotter.
  memoryUtilization  frac  0..1      Beta(4, 3).
  cacheHitRatio      frac  0..1      Beta(5, 2).
  dbQueries          count 0..200    min(200, Poisson(lambda)), lambda = exp(N(ln 6, 0.9)).
  downstreamCalls    count 0..50     min(50, Poisson(lambda)), lambda = exp(N(ln 1.5, 0.9)).
  hourOfDay          h     0..23     U(0, 23) (fractional hours).

Generating formula (milliseconds):

  service   = 2                                            fixed handler cost
            + 0.012 * payloadKb                            transfer + (de)serialisation, ~85 MB/s
            + dbQueries * (1.5 * (1 - cacheHitRatio)       a cache miss costs a database round trip,
                           + 0.05 * cacheHitRatio)         a hit costs almost nothing
            + 4 * downstreamCalls ** 0.8                   downstream calls, partly run in parallel
  queue     = 1 + cpu ** 2 / (1.05 - cpu)                  M/M/1-like blow-up as cpu -> 1 (x21 at cpu = 1)
  contention= 1 + 0.08 * log2(concurrency) + (concurrency / 512) ** 2
  diurnal   = 1 + 0.25 * (1 + cos(2 pi (hourOfDay - 14) / 24)) / 2      +25% at the 14:00 peak
  gc        = 1 + 2 * max(0, memoryUtilization - 0.7) ** 2 / 0.09      GC pauses above 70% memory

  p50Ms = service * queue * contention * diurnal * gc ** 0.3 * LogNormal(0, 0.08)
  spread = (0.4 + 1.5 * cpu ** 4 + 0.1 * sqrt(downstreamCalls) + (gc - 1)
            + 0.002 * dbQueries * (1 - cacheHitRatio)) * LogNormal(0, 0.25)
  p95Ms = p50Ms * (1 + spread)                             so p95 >= p50 always; the log-normal factor on the
                                                           spread gives p95 its heavy tail
50 000 rows (seed 42), split 80/20 into training and held-out rows. sample-requests.json uses seed 4242.

Models
------
request-latency       torch MLP. Inside the graph: log1p of the skewed counts/sizes, sin/cos of the hour, then
                      standardisation with the training means/stds, so the ONNX takes raw feature values.
                      Head outputs (a, b); p50 = exp(a), p95 = exp(a + softplus(b)) >= p50 by construction.
request-latency-gbdt  XGBoost, one booster with two targets: m0 = log p50, m1 = log(p95 / p50). Converted by hand
                      to ai.onnx.ml TreeEnsembleRegressor, then p50 = exp(m0), p95 = exp(m0 + relu(m1)).
request-latency-heavy (--heavy only) 8 -> 1024 -> 1024 -> 1024 -> 2 MLP with the same interface, for load tests.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import onnx
import torch
import xgboost as xgb
from onnx import TensorProto, helper, numpy_helper

SEED = 42
SAMPLE_SEED = 4242
N_ROWS = 50_000
N_SAMPLES = 3000
OPSET = 17
ML_OPSET = 3
HERE = os.path.dirname(os.path.abspath(__file__))

FEATURES = [
    # name, unit, min, max, description
    ("payloadKb", "KiB", 0, 10240, "Size of the request plus response body in KiB."),
    ("concurrency", "requests", 1, 1024, "Requests in flight on the serving instance, this one included."),
    ("cpuUtilization", "fraction", 0, 1, "CPU utilisation of the instance, 0 = idle, 1 = saturated."),
    ("memoryUtilization", "fraction", 0, 1, "Memory utilisation of the instance; above 0.7 garbage-collection pauses grow."),
    ("cacheHitRatio", "fraction", 0, 1, "Share of the request's database reads served from cache."),
    ("dbQueries", "count", 0, 200, "Database queries the request issues."),
    ("downstreamCalls", "count", 0, 50, "Calls to other services the request makes."),
    ("hourOfDay", "h", 0, 23, "Local hour of day, may be fractional; traffic peaks around 14:00."),
]
FEATURE_NAMES = [f[0] for f in FEATURES]
LO = np.array([f[2] for f in FEATURES], dtype=np.float32)
HI = np.array([f[3] for f in FEATURES], dtype=np.float32)
INTEGER_FEATURES = {"concurrency", "dbQueries", "downstreamCalls"}
OUTPUTS = [
    {"name": "p50Ms", "unit": "ms", "description": "Predicted median (50th percentile) request latency in milliseconds."},
    {"name": "p95Ms", "unit": "ms", "description": "Predicted 95th percentile request latency in milliseconds; never below p50Ms."},
]


# ----------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------

def draw_features(rng, n):
    payload = np.exp(rng.uniform(math.log(0.1), math.log(10240.0), n))
    payload[rng.random(n) < 0.03] = 0.0
    concurrency = np.round(2.0 ** rng.uniform(0.0, 10.0, n))
    cpu = np.clip(0.7 * rng.beta(2, 3, n) + 0.3 * np.log2(concurrency) / 10 + rng.normal(0, 0.05, n), 0, 1)
    mem = rng.beta(4, 3, n)
    cache = rng.beta(5, 2, n)
    db = np.minimum(200, rng.poisson(np.exp(rng.normal(math.log(6.0), 0.9, n))))
    downstream = np.minimum(50, rng.poisson(np.exp(rng.normal(math.log(1.5), 0.9, n))))
    hour = rng.uniform(0.0, 23.0, n)
    x = np.stack([payload, concurrency, cpu, mem, cache, db, downstream, hour], axis=1)
    # Cast first so that targets are a function of exactly the float32 values a model is given.
    return np.clip(x, LO, HI).astype(np.float32)


def latency(rng, x):
    x = x.astype(np.float64)
    payload, conc, cpu, mem, cache, db, down, hour = x.T
    service = 2.0 + 0.012 * payload + db * (1.5 * (1 - cache) + 0.05 * cache) + 4.0 * down ** 0.8
    queue = 1 + cpu ** 2 / (1.05 - cpu)
    contention = 1 + 0.08 * np.log2(conc) + (conc / 512) ** 2
    diurnal = 1 + 0.25 * (1 + np.cos(2 * np.pi * (hour - 14) / 24)) / 2
    gc = 1 + 2 * np.maximum(0, mem - 0.7) ** 2 / 0.09
    p50 = service * queue * contention * diurnal * gc ** 0.3 * rng.lognormal(0, 0.08, len(x))
    spread = (0.4 + 1.5 * cpu ** 4 + 0.1 * np.sqrt(down) + (gc - 1) + 0.002 * db * (1 - cache)) \
        * rng.lognormal(0, 0.25, len(x))
    p95 = p50 * (1 + spread)
    y = np.stack([p50, p95], axis=1).astype(np.float32)
    assert np.all(y[:, 1] >= y[:, 0]) and np.all(y > 0)
    return y


def make_dataset():
    rng = np.random.default_rng(SEED)
    x = draw_features(rng, N_ROWS)
    y = latency(rng, x)
    perm = rng.permutation(N_ROWS)
    n_train = int(N_ROWS * 0.8)
    tr, te = perm[:n_train], perm[n_train:]
    return x[tr], y[tr], x[te], y[te]


# ----------------------------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------------------------

def f32(v):
    """Shortest decimal that reads back as the same float32, so JSON stays small and exact for Float32Array."""
    return float(np.format_float_positional(np.float32(v), unique=True, trim="-"))


def metrics(y_true, y_pred, n_train):
    err = y_pred.astype(np.float64) - y_true.astype(np.float64)
    rmse = np.sqrt(np.mean(err ** 2, axis=0))
    mae = np.mean(np.abs(err), axis=0)
    return {
        "heldOutRows": int(len(y_true)),
        "trainRows": int(n_train),
        "rmseMs": {"p50Ms": round(float(rmse[0]), 3), "p95Ms": round(float(rmse[1]), 3)},
        "maeMs": {"p50Ms": round(float(mae[0]), 3), "p95Ms": round(float(mae[1]), 3)},
    }


def relative_summary(y_true, y_pred):
    """Median absolute percentage error per target: for the README, since ms errors are dominated by the tail."""
    ape = np.abs(y_pred - y_true) / y_true
    return [round(float(np.median(ape[:, i])) * 100, 2) for i in range(2)]


def reference_inputs(x_test):
    """~64 rows: the all-min and all-max rows, each feature at its min and max on a held-out row, then held-out rows."""
    rows = [LO.copy(), HI.copy()]
    for j in range(len(FEATURES)):
        for k, bound in enumerate((LO[j], HI[j])):
            r = x_test[2 * j + k].copy()
            r[j] = bound
            rows.append(r)
    rows.extend(x_test[100:100 + 64 - len(rows)])
    return np.stack(rows).astype(np.float32)


def versions():
    return {"torch": torch.__version__, "onnx": onnx.__version__, "xgboost": xgb.__version__, "numpy": np.__version__}


def write_json(path, obj, indent=2):
    with open(path, "w") as fh:
        if indent is None:
            json.dump(obj, fh, separators=(",", ":"))
        else:
            json.dump(obj, fh, indent=indent)
        fh.write("\n")


def write_model_folder(name, onnx_bytes, manifest, ref_source, ref_x, ref_y):
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.onnx"), "wb") as fh:
        fh.write(onnx_bytes)
    write_json(os.path.join(out, "manifest.json"), manifest)
    write_json(os.path.join(out, "reference.json"), {
        "source": ref_source,
        "inputs": [[f32(v) for v in row] for row in ref_x],
        "outputs": [[f32(v) for v in row] for row in ref_y],
    }, indent=None)
    return out


def manifest(name, description, framework, kind, metric_block, extra=None):
    m = {
        "name": name,
        "version": "1.0.0",
        "description": description,
        "framework": framework,
        "kind": kind,
        "input": {"name": "features", "dtype": "float32"},
        "features": [{"name": n, "unit": u, "min": lo, "max": hi, "description": d} for n, u, lo, hi, d in FEATURES],
        "output": {"name": "latency_ms", "dtype": "float32"},
        "outputs": OUTPUTS,
        "metrics": metric_block,
        "provenance": {
            "script": "models/train.py",
            "seed": SEED,
            "trainedWith": versions(),
            "opset": OPSET,
            "createdBy": "predictql models/train.py",
        },
    }
    if extra:
        m.update(extra)
    return m


# ----------------------------------------------------------------------------------------------------------------
# MLP (torch)
# ----------------------------------------------------------------------------------------------------------------

def engineer(x):
    """Raw features -> 9 model inputs. Sizes and counts span decades, so log1p; the hour is circular, so sin/cos."""
    payload, conc, cpu, mem, cache, db, down, hour = x.unbind(dim=1)
    angle = hour * (2 * math.pi / 24)
    return torch.stack([
        torch.log1p(payload), torch.log(conc), cpu, mem, cache,
        torch.log1p(db), torch.log1p(down), torch.sin(angle), torch.cos(angle),
    ], dim=1)


class LatencyMLP(torch.nn.Module):
    def __init__(self, mean, std, hidden):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        layers, width = [], mean.shape[0]
        for h in hidden:
            layers += [torch.nn.Linear(width, h), torch.nn.SiLU()]
            width = h
        layers.append(torch.nn.Linear(width, 2))
        self.net = torch.nn.Sequential(*layers)

    def log_latency(self, x):
        a, b = self.net((engineer(x) - self.mean) / self.std).unbind(dim=1)
        # log p95 = log p50 + softplus(.) makes p95 >= p50 a property of the graph, not of the training.
        return torch.stack([a, a + torch.nn.functional.softplus(b)], dim=1)

    def forward(self, x):
        return torch.exp(self.log_latency(x))


def train_mlp(x_tr, y_tr, hidden, epochs, batch, lr):
    torch.manual_seed(SEED)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(np.log(y_tr))
    eng = engineer(xt)
    model = LatencyMLP(eng.mean(0), eng.std(0), hidden)
    with torch.no_grad():  # start at the mean log-latency and mean log-gap, so early epochs fit shape, not offset
        final = model.net[-1]
        final.bias[0] = yt[:, 0].mean()
        gap = (yt[:, 1] - yt[:, 0]).mean()
        final.bias[1] = torch.log(torch.expm1(gap))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * math.ceil(len(xt) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(epochs):
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            loss = torch.nn.functional.mse_loss(model.log_latency(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"  epoch {epoch:3d}  train MSE(log) {total / len(xt):.5f}", flush=True)
    return model.eval()


def export_mlp(model):
    path = os.path.join("/tmp", f"predictql-export-{os.getpid()}.onnx")
    torch.onnx.export(
        model, torch.zeros(1, len(FEATURES)), path,
        input_names=["features"], output_names=["latency_ms"],
        dynamic_axes={"features": {0: "batch"}, "latency_ms": {0: "batch"}},
        opset_version=OPSET, do_constant_folding=True,
    )
    m = onnx.load(path)
    os.remove(path)
    onnx.checker.check_model(m)
    return m.SerializeToString()


def predict_torch(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def build_mlp(name, description, hidden, epochs, batch, lr, x_tr, y_tr, x_te, y_te):
    print(f"{name}: training MLP {len(FEATURES)} -> {' -> '.join(map(str, hidden))} -> 2", flush=True)
    model = train_mlp(x_tr, y_tr, hidden, epochs, batch, lr)
    pred = predict_torch(model, x_te)
    assert np.all(pred[:, 1] >= pred[:, 0])
    met = metrics(y_te, pred, len(x_tr))
    print(f"  held-out {met}  median APE % {relative_summary(y_te, pred)}", flush=True)
    ref_x = reference_inputs(x_te)
    man = manifest(name, description, f"torch {torch.__version__}", "mlp", met)
    out = write_model_folder(name, export_mlp(model), man, "torch", ref_x, predict_torch(model, ref_x))
    return model, out, met, relative_summary(y_te, pred)


# ----------------------------------------------------------------------------------------------------------------
# GBDT (XGBoost -> ai.onnx.ml TreeEnsembleRegressor)
# ----------------------------------------------------------------------------------------------------------------

def gbdt_targets(y):
    """Model log p50 and log(p95/p50): both well-scaled, and the gap can be forced >= 0 with a single relu."""
    ly = np.log(y.astype(np.float64))
    return np.stack([ly[:, 0], ly[:, 1] - ly[:, 0]], axis=1).astype(np.float32)


def compose(margin):
    """The same composition the ONNX graph does after the trees; also what a non-ONNX server must do."""
    m = margin.astype(np.float32)
    return np.exp(np.stack([m[:, 0], m[:, 0] + np.maximum(m[:, 1], 0)], axis=1)).astype(np.float32)


def train_gbdt(x_tr, y_tr):
    params = {
        "objective": "reg:squarederror", "tree_method": "hist", "max_depth": 6, "eta": 0.1,
        "subsample": 0.8, "min_child_weight": 5, "nthread": 1, "seed": SEED,
        # xgboost 1.7 shares one base_score across targets; near the mean of both targets keeps early trees small.
        "base_score": 1.5,
    }
    return xgb.train(params, xgb.DMatrix(x_tr, label=gbdt_targets(y_tr), feature_names=FEATURE_NAMES), 150)


def tree_attributes(booster):
    """Flatten the booster's JSON dump into TreeEnsembleRegressor attribute arrays.

    XGBoost sends x < split_condition to the left ("yes") child and NaN to the default child; ONNX BRANCH_LT sends
    x < value to the true child, and nodes_missing_value_tracks_true sends NaN to the true child. So left = true.
    Leaf values in the dump already include the learning rate; base_score is added once per target via base_values.
    """
    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    gb = learner["gradient_booster"]["model"]
    n_targets = int(learner["learner_model_param"]["num_target"])
    base_score = float(learner["learner_model_param"]["base_score"])
    a = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                         "target_treeids", "target_nodeids", "target_ids", "target_weights")}
    for tree_id, (tree, target) in enumerate(zip(gb["trees"], gb["tree_info"])):
        left, right = tree["left_children"], tree["right_children"]
        for node in range(len(left)):
            leaf = left[node] == -1
            a["nodes_treeids"].append(tree_id)
            a["nodes_nodeids"].append(node)
            a["nodes_featureids"].append(0 if leaf else tree["split_indices"][node])
            a["nodes_values"].append(0.0 if leaf else tree["split_conditions"][node])
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LT")
            a["nodes_truenodeids"].append(0 if leaf else left[node])
            a["nodes_falsenodeids"].append(0 if leaf else right[node])
            a["nodes_missing_value_tracks_true"].append(0 if leaf else int(tree["default_left"][node]))
            if leaf:
                a["target_treeids"].append(tree_id)
                a["target_nodeids"].append(node)
                a["target_ids"].append(int(target))
                a["target_weights"].append(tree["split_conditions"][node])
    # Round through float32 here, since that is what the ONNX float attributes will store.
    a["nodes_values"] = [float(v) for v in np.float32(a["nodes_values"])]
    a["target_weights"] = [float(v) for v in np.float32(a["target_weights"])]
    a["base_values"] = [float(np.float32(base_score))] * n_targets
    a["n_targets"] = n_targets
    return a


def gbdt_onnx(attrs):
    trees = helper.make_node("TreeEnsembleRegressor", ["features"], ["margin"], name="trees", domain="ai.onnx.ml",
                             aggregate_function="SUM", post_transform="NONE", **attrs)
    nodes = [
        trees,
        helper.make_node("Split", ["margin"], ["log_p50", "log_gap_raw"], name="split", axis=1),
        helper.make_node("Relu", ["log_gap_raw"], ["log_gap"], name="gap_nonneg"),
        helper.make_node("Add", ["log_p50", "log_gap"], ["log_p95"], name="add_gap"),
        helper.make_node("Concat", ["log_p50", "log_p95"], ["log_latency"], name="concat", axis=1),
        helper.make_node("Exp", ["log_latency"], ["latency_ms"], name="exp"),
    ]
    graph = helper.make_graph(
        nodes, "request_latency_gbdt",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", len(FEATURES)])],
        [helper.make_tensor_value_info("latency_ms", TensorProto.FLOAT, ["batch", 2])],
    )
    m = helper.make_model(graph, producer_name="predictql models/train.py",
                          opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    m.ir_version = 8  # onnx 1.12 writes IR 8; pinned so the file does not depend on a helper default
    onnx.checker.check_model(m)
    return m.SerializeToString()


def eval_tree_ensemble(onnx_bytes, x):
    """Pure-numpy TreeEnsembleRegressor over the attributes as stored in the ONNX file (no onnx.reference in 1.12)."""
    node = next(n for n in onnx.load_from_string(onnx_bytes).graph.node if n.op_type == "TreeEnsembleRegressor")
    a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
    tids, nids = np.array(a["nodes_treeids"]), np.array(a["nodes_nodeids"])
    n_trees = tids.max() + 1
    width = nids.max() + 1
    flat = lambda t, n: np.asarray(t) * width + np.asarray(n)  # (tree, node) -> dense index
    size = n_trees * width
    feat, thr = np.zeros(size, np.int64), np.zeros(size, np.float32)
    tnode, fnode, miss = np.zeros(size, np.int64), np.zeros(size, np.int64), np.zeros(size, bool)
    leaf = np.zeros(size, bool)
    k = flat(tids, nids)
    feat[k], thr[k] = a["nodes_featureids"], np.float32(a["nodes_values"])
    tnode[k], fnode[k] = flat(tids, a["nodes_truenodeids"]), flat(tids, a["nodes_falsenodeids"])
    miss[k] = np.array(a["nodes_missing_value_tracks_true"], bool)
    leaf[k] = np.array([m == b"LEAF" for m in a["nodes_modes"]])
    weight = np.zeros(size, np.float64)
    target = np.zeros(size, np.int64)
    lk = flat(a["target_treeids"], a["target_nodeids"])
    weight[lk] = np.float32(a["target_weights"])
    target[lk] = a["target_ids"]
    out = np.tile(np.array(a["base_values"], np.float64), (len(x), 1))
    rows = np.arange(len(x))
    for t in range(n_trees):
        idx = np.full(len(x), t * width)
        while not leaf[idx].all():
            v = x[rows, feat[idx]]
            go_true = np.where(np.isnan(v), miss[idx], v < thr[idx])
            idx = np.where(leaf[idx], idx, np.where(go_true, tnode[idx], fnode[idx]))
        np.add.at(out, (rows, target[idx]), weight[idx])
    return out


def build_gbdt(x_tr, y_tr, x_te, y_te):
    name = "request-latency-gbdt"
    print(f"{name}: training XGBoost", flush=True)
    booster = train_gbdt(x_tr, y_tr)
    dte = xgb.DMatrix(x_te, feature_names=FEATURE_NAMES)
    pred = compose(booster.predict(dte, output_margin=True))
    met = metrics(y_te, pred, len(x_tr))
    print(f"  held-out {met}  median APE % {relative_summary(y_te, pred)}", flush=True)

    model_bytes = gbdt_onnx(tree_attributes(booster))
    # Check the converted arrays against xgboost itself, on held-out rows, range edges and NaNs (missing values).
    check_x = np.concatenate([x_te, reference_inputs(x_te)])
    nan_x = x_te[:500].copy()
    nan_x[np.arange(500), np.arange(500) % len(FEATURES)] = np.nan
    check_x = np.concatenate([check_x, nan_x])
    want = booster.predict(xgb.DMatrix(check_x, feature_names=FEATURE_NAMES), output_margin=True)
    got = eval_tree_ensemble(model_bytes, check_x)
    margin_diff = float(np.max(np.abs(got - want)))
    ms_rel = float(np.max(np.abs(compose(got) - compose(want)) / compose(want)))
    print(f"  converter check on {len(check_x)} rows: max |margin diff| {margin_diff:.3g}, max rel ms diff {ms_rel:.3g}")
    assert margin_diff < 1e-4 and ms_rel < 1e-4, "converted tree ensemble disagrees with xgboost.predict"

    ref_x = reference_inputs(x_te)
    ref_y = compose(booster.predict(xgb.DMatrix(ref_x, feature_names=FEATURE_NAMES), output_margin=True))
    man = manifest(
        name,
        "Gradient-boosted trees (XGBoost) predicting p50 and p95 latency in ms of one HTTP request from payload "
        "size, instance load and per-request work; same interface as request-latency.",
        f"xgboost {xgb.__version__}", "gbdt", met,
        extra={"rawModel": {
            "file": "model.xgb.json",
            "format": "xgboost JSON (Booster.save_model), 2 targets; predict with output_margin=True",
            "features": "the 8 features in manifest order, float32, NaN = missing",
            "composition": "margin m = [log p50, log(p95/p50)]; p50Ms = exp(m[0]); p95Ms = exp(m[0] + max(m[1], 0))",
        }},
    )
    out = write_model_folder(name, model_bytes, man, "xgboost", ref_x, ref_y)
    booster.save_model(os.path.join(out, "model.xgb.json"))
    return out, met, relative_summary(y_te, pred), margin_diff


# ----------------------------------------------------------------------------------------------------------------
# Sample requests
# ----------------------------------------------------------------------------------------------------------------

def write_samples():
    x = draw_features(np.random.default_rng(SAMPLE_SEED), N_SAMPLES)
    items = []
    for i, row in enumerate(x):
        feats = {}
        for name, v in zip(FEATURE_NAMES, row):
            # Rounding a value inside [lo, hi] to 3 decimals cannot leave the range, since lo and hi are integers.
            feats[name] = int(round(float(v))) if name in INTEGER_FEATURES else round(float(v), 3)
        items.append({"id": f"req-{i + 1:04d}", "features": feats})
    path = os.path.join(HERE, "sample-requests.json")
    write_json(path, items, indent=None)
    return path


# ----------------------------------------------------------------------------------------------------------------

def time_batch(model, n=1000, repeats=20):
    x = torch.from_numpy(draw_features(np.random.default_rng(1), n))
    with torch.no_grad():
        model(x)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--heavy", action="store_true", help="also train and write request-latency-heavy (large MLP)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    np.random.seed(SEED)

    x_tr, y_tr, x_te, y_te = make_dataset()
    print(f"data: {len(x_tr)} train / {len(x_te)} held-out rows; p50 median {np.median(y_tr[:, 0]):.1f} ms, "
          f"p95 median {np.median(y_tr[:, 1]):.1f} ms", flush=True)

    build_mlp("request-latency",
              "Small MLP predicting p50 and p95 latency in ms of one HTTP request from payload size, instance load "
              "and per-request work.",
              hidden=(32, 32), epochs=60, batch=256, lr=3e-3,
              x_tr=x_tr, y_tr=y_tr, x_te=x_te, y_te=y_te)
    build_gbdt(x_tr, y_tr, x_te, y_te)
    print(f"wrote {write_samples()}")

    if args.heavy:
        model, _, _, _ = build_mlp(
            "request-latency-heavy",
            "Deliberately large MLP (3 x 1024 hidden units) with the request-latency interface, for load and "
            "batching tests; not shipped by default.",
            hidden=(1024, 1024, 1024), epochs=3, batch=256, lr=1e-3,
            x_tr=x_tr, y_tr=y_tr, x_te=x_te, y_te=y_te)
        print(f"  torch batch-1000 forward, 1 thread: {time_batch(model):.1f} ms (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
