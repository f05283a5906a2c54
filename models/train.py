#!/usr/bin/python3
"""Train predictql's models (five tasks) and write them, with manifests, references and examples, to models/.

Run by hand (not in CI), with Debian's Python and packages:

    apt-get install -y --no-install-recommends python3-torch python3-onnx python3-xgboost python3-sklearn \\
        python3-numpy
    /usr/bin/python3 models/train.py            # the 7 shipped models, 3 examples files, test/fixtures/two-inputs
    /usr/bin/python3 models/train.py --heavy    # also request-latency-heavy (large MLP, for load tests)
    /usr/bin/python3 models/train.py --exports  # only test/fixtures/exports/ (models as people export them)
    /usr/bin/python3 models/train.py --text     # only models/review-sentiment/ and models/review-embedding/

Everything is seeded and single-threaded so that a rerun on the same package versions rewrites the same bytes.

Task Latency. Synthetic data set: latency of one HTTP request to a service instance
----------------------------------------------------------------------------------
Eight float32 features, in this order (the order is the ONNX input's column order):

  payloadKb          KiB   0..10240  log-uniform between 0.1 and 10240 KiB, 3% of requests exactly 0 (GETs).
  concurrency        1     1..1024   round(2 ** U(0, 10)): in-flight requests on the instance.
  cpuUtilization     frac  0..1      clip(0.7 * Beta(2, 3) + 0.3 * log2(concurrency) / 10 + N(0, 0.05), 0, 1):
                                     busier instances run hotter.
  memoryUtilization  frac  0..1      Beta(4, 3).
  cacheHitRatio      frac  0..1      Beta(5, 2).
  dbQueries          count 0..200    min(200, Poisson(lambda)), lambda = exp(N(ln 6, 0.9)).
  downstreamCalls    count 0..50     min(50, Poisson(lambda)), lambda = exp(N(ln 1.5, 0.9)).
  hourOfDay          h     [0, 24)   U(0, 24) (fractional hours; 24 itself is refused, 23.99 is fine).

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
50 000 rows (seed 42), split 80/20 into training and held-out rows. latency.examples.json uses seed 4242.

Task Churn. Synthetic data set: what a SaaS customer does at its next quarterly renewal
-------------------------------------------------------------------------------------
Two hidden variables per customer, not features: engagement e ~ N(0, 1) and product trouble u ~ N(0, 1).

  plan               category  FREE 30%, TEAM 35%, BUSINESS 25%, ENTERPRISE 10%.
  region             category  NA 40%, EU 30%, APAC 20%, LATAM 10%.
  seats              int 1..500     round(exp(N(ln m, s))), (m, s) = FREE (1.5, 0.4) capped at 3, TEAM (6, 0.6),
                                    BUSINESS (25, 0.7), ENTERPRISE (120, 0.7).
  tenureMonths       int 0..120     min(120, floor(Exponential(mean 10 | 20 | 30 | 45 months by plan))).
  monthlySpend       USD 0..2000    min(2000, price * seats ** k * LogNormal(0, 0.1)), price 0 | 12 | 20 | 30 USD,
                                    k 1 | 1 | 0.9 | 0.8 by plan (volume discounts): FREE pays 0.
  supportTickets90d  int 0..100     min(100, Poisson(0.3 * sqrt(seats) * exp(0.6 u))).
  lastLoginDaysAgo   days 0..365    min(365, Exponential(mean 3 * exp(-0.9 e), x3 on FREE)), fractional. API
                                    default 7 when unknown.
  autoRenew          bool           Bernoulli(sigmoid(0.6 + 0.7 e + (-0.5 | 0 | 0.3 | 0.8 by plan))).

Outcome over the next quarter, a multinomial logit (RENEWS has score 0):

  CHURNS     = -2.45 + 0.9 log1p(lastLoginDaysAgo) - 0.035 min(tenureMonths, 48) - 1.3 autoRenew
               + 0.35 sqrt(max(0, supportTickets90d - 3)) + (0.6 | 0 | -0.3 | -0.8 by plan)
               + (0 | 0 | 0.15 | 0.35 by region NA | EU | APAC | LATAM) + 0.5 u - 0.4 e
  DOWNGRADES = -2.0 + 0.2 ln(seats) + 0.4 log1p(lastLoginDaysAgo) + 0.15 sqrt(supportTickets90d)
               + 0.01 min(tenureMonths, 60) + (-inf | 0 | 0.1 | -0.3 by plan: FREE cannot downgrade)
               + (0 | 0.1 | 0.25 | 0.4 by region) + 0.3 u
  outcome ~ softmax(0, DOWNGRADES, CHURNS): about 60 % RENEWS, 25 % DOWNGRADES, 15 % CHURNS.

50 000 customers (seed 43), split 80/20. churn.examples.json: 200 customers, seed 4243.

Task Anomaly. Synthetic data set: 30-minute windows of a service's request rate
------------------------------------------------------------------------------
  requestsPerMinute  vector of 30 counts, oldest minute first, each 0..100000.
  hourOfDay          h [0, 24): local hour of the most recent minute (the last element), U(0, 24).

  rate(t)  = level * (1 + a * cos(2 pi (hour(t) - peak) / 24)) * exp(d(t)),   t = 0..29, hour(t) = hourOfDay - (29 - t) / 60
             level ~ log-uniform 100..20000 req/min, a ~ U(0.2, 0.7), peak ~ N(14, 1.5) h,
             d = stationary AR(1) in log space, d(t) = 0.9 d(t - 1) + N(0, 0.03)
  count(t) = min(100000, Poisson(rate(t)))
Injected anomalies (in rate, before the Poisson draw), one per anomalous window, equally likely:
  spike        1-3 consecutive minutes x U(1.5, 6)
  drop         2-8 consecutive minutes x U(0, 0.5) (partial outage)
  level shift  from a minute in 5..27 to the end x U(1.3, 2.5) or x U(0.4, 0.75)
Training: 40 000 normal windows (seed 44). Held-out: 10 000 windows, 30 % anomalous. anomaly.examples.json: 100
windows (seed 4244), 20 % anomalous.

Tasks ReviewSentiment and ReviewEmbedding. Synthetic data set: product reviews
-----------------------------------------------------------------------------
A review is about one of 8 products (headphones, keyboard, coffee maker, desk lamp, running shoes, phone case,
backpack, blender: 3-4 product nouns and 8 parts each, REVIEW_TOPICS) and has round(exp(N(ln 6, 0.72))) sentences,
clipped to 1..18. The reviewer's mood is negative, mixed or positive (1/3 each): -U(0.75, 1.6), U(-0.25, 0.25) or
U(0.75, 1.6). A sentence is an opinion with p 0.6 (the last one is, if none was), else a filler without a score
(arrival day, shipping time, price, who it was for, brand and model, colour, store, version, language of the
instructions, a topic's own sentences). An opinion is one clause, "A and B" (p 0.1) or "A, but B" (p 0.2); each
clause is, of six drawn, the one whose score is nearest mood + N(0, 0.5) (the A of "A, but B": N(0, 0.8), any mood):

  the <part> | this <product> | it | they   is | was | seems | looks | feels  [not]  [intensifier]  <adjective>
                                            score = polarity * intensifier, * -0.5 when negated ("not good")
  [intensifier] <adjective> <product>       score = polarity * intensifier
  [not] [intensifier] <adjective> [at all]  likewise ("not bad at all" = -0.5 * bad)
  I [adverb] [don't | do not | didn't] love | adore | enjoy | like | dislike | hate | can't stand  <it | the part>
                                            score = verb polarity * adverb, * -0.5 when negated
  a stock phrase ("five stars", "waste of money", "about what you would expect", ...) with its own score

  polarity in [-1, 1]: excellent 1, great 0.8, good 0.6, decent 0.3, okay 0.1, average 0, mediocre -0.4, cheap -0.5,
  flimsy -0.6, bad -0.8, terrible -1 (ADJECTIVES); intensifiers x1.15 (quite) .. x1.7 (extremely, incredibly), and
  x0.5 (slightly, a little) .. x0.8 (rather).

  score = weighted mean of the clause scores: weight 1, but in "A, but B" 0.35 for A and 1 for B; an emoji (in 12 %
          of the reviews, the one of three drawn nearest the mood: ❤ 1, 👍 🔥 0.8, 😀 0.6, 😐 🤷 0, 😞 -0.6,
          👎 -0.8, 😡 -1) counts 0.5.
  label = NEGATIVE below -0.45, POSITIVE above 0.45, else NEUTRAL, cut from score + N(0, 0.2).

Surface noise: endings . ! !! !!! ... ?! ?, 8 % of the sentences start in lower case, 2 % of the sentences and 3 %
of the reviews are upper case, brand names from syllables (some accented: Coràx), model numbers (XR-688, Go225),
prices ($33.68), "café", "crème brûlée". 20 000 reviews (seed 46), split 80/20: 16 000 training, 4 000 held-out.
The WordPiece vocabulary (1200 tokens) is trained on the training reviews (train_wordpiece: the characters, their
## forms, then byte-pair merges, as Hugging Face's WordPieceTrainer does); the Python tokenizer here (BERT's
BasicTokenizer + greedy longest-match WordPiece) gives the ids @huggingface/tokenizers gives for the tokenizer.json
it writes. The models see at most 128 tokens: [CLS] + the first 126 + [SEP].

Models
------
request-latency       torch MLP. Inside the graph: log1p of the skewed counts/sizes, sin/cos of the hour, then
                      standardisation with the training means/stds, so the ONNX takes raw feature values.
                      Head outputs (a, b); p50 = exp(a), p95 = exp(a + softplus(b)) >= p50 by construction.
request-latency-gbdt  XGBoost, one booster with two targets: m0 = log p50, m1 = log(p95 / p50). Converted by hand
                      to ai.onnx.ml TreeEnsembleRegressor, then p50 = exp(m0), p95 = exp(m0 + relu(m1)).
request-latency-heavy (--heavy only) 8 -> 1024 -> 1024 -> 1024 -> 2 MLP with the same interface, for load tests.
customer-churn        torch MLP over 3 input tensors (numeric [batch, 6], plan and region indexes [batch], each with
                      an nn.Embedding); normalisation inside the graph; outputs raw logits [batch, 3].
customer-churn-gbdt   XGBoost multi:softprob, converted by hand to ai.onnx.ml TreeEnsembleClassifier (SOFTMAX);
                      region comes in as a lowercase string and goes through an ai.onnx.ml LabelEncoder in the graph.
traffic-anomaly       torch autoencoder over the normalised window (log1p, centred) and the hour; outputs the
                      reconstruction error (score, [batch]) and the 8-wide bottleneck (embedding).
review-sentiment      BERT-style transformer trained from scratch (2 layers, hidden 32, 4 heads, feed-forward 128,
                      GELU, learned positions up to 128, no token types): tanh pooler over [CLS] -> 3 logits.
                      Inputs input_ids and attention_mask int64 [batch, sequence]; padding keys get -10000 on their
                      attention scores, so padding never changes a real token's answer. Ships tokenizer.json,
                      tokenizer_config.json, special_tokens_map.json and config.json as transformers writes them.
review-embedding      the same encoder (trained once, with a topic head on its mean-pooled states beside the sentiment
                      head; the topic head is not exported): last_hidden_state [batch, sequence, 32], which the server
                      mean-pools over the mask and L2-normalises, as 1_Pooling/config.json and modules.json (the
                      sentence-transformers layout) say.

Also writes test/fixtures/two-inputs/ (a hand-built two-input ONNX model and its expected outputs) for the
"bring your own model" test.

test/fixtures/exports/ (--exports, and nothing else)
----------------------------------------------------
Small models as data scientists hand them over, one folder each with model.onnx and reference.json ({source,
converter, classLabels?, unknownCategories? / knownCategories?, note?, cases: [{inputs, outputs}]}, keyed by ONNX
input and output names, one row per case, values from sklearn / xgboost / torch themselves). skl2onnx and onnxmltools
are not Debian packages, so their node layouts are rebuilt here with onnx.helper from their sources; the torch models
go through torch.onnx.export.

  sklearn-pipeline-zipmap   Pipeline(ColumnTransformer(OneHotEncoder on country, StandardScaler on age, income),
                            LogisticRegression), skl2onnx defaults: an input per column, output_label + a ZipMap.
  sklearn-pipeline-tensors  the same fitted pipeline with zipmap=False: label (string) and probabilities [N, 2].
  sklearn-int-labels        RandomForestClassifier, labels 0/1/2, zipmap=False: TreeEnsembleClassifier only.
  sklearn-label-encoded     OrdinalEncoder (ai.onnx.ml LabelEncoder) + GradientBoostingRegressor -> variable1 [N, 1].
  xgboost-onnxmltools       XGBClassifier (3 classes) through onnxmltools: label int64 + probabilities [N, 3].
  xgboost-skl2onnx-zipmap   the same booster through skl2onnx with onnxmltools' converter: Cast + int64 ZipMap.
  torch-sigmoid             MLP ending in a one-column sigmoid, [batch, 1].
  torch-fixed-batch         MLP exported with torch.onnx.export's defaults: no dynamic_axes, so [1, 5] -> [1, 3].
  torch-lstm-timeseries     LSTM forecaster, [batch, 24, 3] -> [batch, 1], batch axis named by torch.
  torch-cnn-image           tiny CNN, pixel_values [batch, 3, 32, 32] -> logits [batch, 10].
  torch-rank3-output        MLP with a rank-3 output: quantiles [batch, 4, 2].
"""

import argparse
import ctypes
import json
import math
import os
import sys
import time
import unicodedata

import numpy as np
import onnx
import sklearn
import torch
import xgboost as xgb
from onnx import TensorProto, helper, numpy_helper
from sklearn.metrics import roc_auc_score

SEED = 42
SAMPLE_SEED = 4242
CHURN_SEED = 43
CHURN_SAMPLE_SEED = 4243
ANOMALY_SEED = 44
ANOMALY_SAMPLE_SEED = 4244
N_ROWS = 50_000
N_SAMPLES = 3000
N_CHURN_SAMPLES = 200
N_ANOMALY_SAMPLES = 100
N_REFERENCE = 64
OPSET = 17
ML_OPSET = 3
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_DIR = os.path.join(os.path.dirname(HERE), "test", "fixtures", "two-inputs")

# Largest float32 below 24: the top of the [0, 24) hour range, for the edge rows of the references.
HOUR_TOP = float(np.nextafter(np.float32(24), np.float32(0)))
HOUR_DESCRIPTION = "Local hour of day in [0, 24), may be fractional (23.99 is fine, 24 is not); traffic peaks around 14:00."

FEATURES = [
    # name, unit, min, max, description
    ("payloadKb", "KiB", 0, 10240, "Size of the request plus response body in KiB."),
    ("concurrency", "requests", 1, 1024, "Requests in flight on the serving instance, this one included."),
    ("cpuUtilization", "fraction", 0, 1, "CPU utilisation of the instance, 0 = idle, 1 = saturated."),
    ("memoryUtilization", "fraction", 0, 1, "Memory utilisation of the instance; above 0.7 garbage-collection pauses grow."),
    ("cacheHitRatio", "fraction", 0, 1, "Share of the request's database reads served from cache."),
    ("dbQueries", "count", 0, 200, "Database queries the request issues."),
    ("downstreamCalls", "count", 0, 50, "Calls to other services the request makes."),
    ("hourOfDay", "h", 0, 24, HOUR_DESCRIPTION),
]
FEATURE_NAMES = [f[0] for f in FEATURES]
MAX_EXCLUSIVE = {"hourOfDay"}
LO = np.array([f[2] for f in FEATURES], dtype=np.float32)
HI = np.array([f[3] for f in FEATURES], dtype=np.float32)
# The largest value each feature may take: max, or the float32 just below it for a [min, max) range.
TOP = np.array([HOUR_TOP if f[0] in MAX_EXCLUSIVE else f[3] for f in FEATURES], dtype=np.float32)
INTEGER_FEATURES = {"concurrency", "dbQueries", "downstreamCalls"}
OUTPUTS = [
    {"name": "p50Ms", "unit": "ms", "description": "Predicted median (50th percentile) request latency in milliseconds."},
    {"name": "p95Ms", "unit": "ms", "description": "Predicted 95th percentile request latency in milliseconds; never below p50Ms."},
]
LATENCY_GRAPHQL = {"predict": "predictLatency", "predictMany": "predictLatencies", "input": "LatencyFeaturesInput",
                   "prediction": "LatencyPrediction"}
LATENCY_EXAMPLES_GRAPHQL = {"list": "sampleRequests", "type": "SampleRequest", "features": "LatencyFeatures",
                            "prediction": "predictedLatency"}

PLANS = ["FREE", "TEAM", "BUSINESS", "ENTERPRISE"]
REGIONS = ["NA", "EU", "APAC", "LATAM"]
CLASSES = ["RENEWS", "DOWNGRADES", "CHURNS"]
# name, type, unit, min, max, description; in the order of the numeric tensor's columns.
CHURN_NUMERIC = [
    ("tenureMonths", "int", "months", 0, 120, "Whole months since the customer's first paid (or free) month."),
    ("monthlySpend", "float", "USD", 0, 2000, "Current monthly bill in US dollars (0 on the FREE plan)."),
    ("seats", "int", "seats", 1, 500, "Paid seats (users) on the subscription."),
    ("supportTickets90d", "int", "count", 0, 100, "Support tickets opened in the last 90 days."),
    ("lastLoginDaysAgo", "float", "days", 0, 365, "Days since any user of the account last logged in, may be fractional; 7 when unknown."),
    ("autoRenew", "bool", None, None, None, "The subscription renews automatically unless cancelled."),
]
CHURN_NAMES = [c[0] for c in CHURN_NUMERIC] + ["plan", "region"]
CHURN_LO = np.array([0, 0, 1, 0, 0, 0], np.float32)
CHURN_HI = np.array([120, 2000, 500, 100, 365, 1], np.float32)
LAST_LOGIN_DEFAULT = 7
PLAN_DESCRIPTIONS = {"FREE": "Free tier, at most 3 seats; cannot downgrade.", "TEAM": "Self-serve team plan.",
                     "BUSINESS": "Business plan with SSO and audit logs.", "ENTERPRISE": "Negotiated enterprise contract."}
REGION_DESCRIPTIONS = {"NA": "North America.", "EU": "Europe.", "APAC": "Asia-Pacific.", "LATAM": "Latin America."}
CLASS_DESCRIPTIONS = {"RENEWS": "Renews on the same plan (or, on FREE, stays).",
                      "DOWNGRADES": "Renews on a cheaper plan or with fewer seats.",
                      "CHURNS": "Cancels."}
REGION_CODES = {"NA": "na", "EU": "eu", "APAC": "apac", "LATAM": "latam"}

WINDOW = 30
RATE_MAX = 100_000
ANOMALY_KINDS = ["none", "spike", "drop", "levelShift"]


# ----------------------------------------------------------------------------------------------------------------
# Data: Latency
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
    hour = rng.uniform(0.0, 24.0, n)
    x = np.stack([payload, concurrency, cpu, mem, cache, db, downstream, hour], axis=1)
    # Cast first so that targets are a function of exactly the float32 values a model is given. The clip to TOP
    # keeps an hour just below 24 from rounding up to 24.0 in float32.
    return np.clip(x.astype(np.float32), LO, TOP)


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


def split(n, rng):
    perm = rng.permutation(n)
    n_train = int(n * 0.8)
    return perm[:n_train], perm[n_train:]


def make_dataset():
    rng = np.random.default_rng(SEED)
    x = draw_features(rng, N_ROWS)
    y = latency(rng, x)
    tr, te = split(N_ROWS, rng)
    return x[tr], y[tr], x[te], y[te]


# ----------------------------------------------------------------------------------------------------------------
# Data: Churn
# ----------------------------------------------------------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def draw_customers(rng, n):
    """-> (numeric float32 [n, 6] in CHURN_NUMERIC order, plan int64 [n], region int64 [n], hidden (e, u))."""
    plan = rng.choice(4, n, p=[0.30, 0.35, 0.25, 0.10])
    region = rng.choice(4, n, p=[0.40, 0.30, 0.20, 0.10])
    engagement = rng.normal(0, 1, n)
    trouble = rng.normal(0, 1, n)
    seats = np.round(np.exp(rng.normal(np.log([1.5, 6, 25, 120])[plan], np.array([0.4, 0.6, 0.7, 0.7])[plan])))
    seats = np.clip(seats, 1, 500)
    seats[plan == 0] = np.minimum(seats[plan == 0], 3)
    tenure = np.minimum(120, np.floor(rng.exponential(np.array([10.0, 20, 30, 45])[plan])))
    spend = np.array([0.0, 12, 20, 30])[plan] * seats ** np.array([1, 1, 0.9, 0.8])[plan] * rng.lognormal(0, 0.1, n)
    tickets = np.minimum(100, rng.poisson(0.3 * np.sqrt(seats) * np.exp(0.6 * trouble)))
    login = rng.exponential(3 * np.exp(-0.9 * engagement) * np.array([3.0, 1, 1, 1])[plan])
    auto = rng.random(n) < sigmoid(0.6 + 0.7 * engagement + np.array([-0.5, 0, 0.3, 0.8])[plan])
    numeric = np.stack([tenure, spend, seats, tickets, login, auto.astype(np.float64)], axis=1)
    numeric = np.clip(numeric.astype(np.float32), CHURN_LO, CHURN_HI)
    return numeric, plan.astype(np.int64), region.astype(np.int64), (engagement, trouble)


def churn_probabilities(numeric, plan, region, hidden):
    """The generator's own class probabilities (given the hidden variables too), float64 [n, 3]."""
    tenure, spend, seats, tickets, login, auto = numeric.astype(np.float64).T
    engagement, trouble = hidden
    with np.errstate(invalid="ignore"):
        churns = (-2.45 + 0.9 * np.log1p(login) - 0.035 * np.minimum(tenure, 48) - 1.3 * auto
                  + 0.35 * np.sqrt(np.maximum(0, tickets - 3)) + np.array([0.6, 0, -0.3, -0.8])[plan]
                  + np.array([0, 0, 0.15, 0.35])[region] + 0.5 * trouble - 0.4 * engagement)
        downgrades = (-2.0 + 0.2 * np.log(seats) + 0.4 * np.log1p(login) + 0.15 * np.sqrt(tickets)
                      + 0.01 * np.minimum(tenure, 60) + np.array([-np.inf, 0, 0.1, -0.3])[plan]
                      + np.array([0, 0.1, 0.25, 0.4])[region] + 0.3 * trouble)
    s = np.stack([np.zeros(len(plan)), downgrades, churns], axis=1)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def make_churn_dataset():
    rng = np.random.default_rng(CHURN_SEED)
    numeric, plan, region, hidden = draw_customers(rng, N_ROWS)
    p = churn_probabilities(numeric, plan, region, hidden)
    y = (rng.random(N_ROWS)[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 2).astype(np.int64)
    tr, te = split(N_ROWS, rng)
    pick = lambda idx: {"numeric": numeric[idx], "plan": plan[idx], "region": region[idx]}
    return pick(tr), y[tr], pick(te), y[te], p[te]


# ----------------------------------------------------------------------------------------------------------------
# Data: Anomaly
# ----------------------------------------------------------------------------------------------------------------

def draw_windows(rng, n, anomaly_share):
    """-> (window float32 [n, 30] whole counts, oldest first; hour float32 [n, 1]; anomaly kind int [n], 0 = none)."""
    level = np.exp(rng.uniform(math.log(100), math.log(20000), n))
    amplitude = rng.uniform(0.2, 0.7, n)
    peak = rng.normal(14, 1.5, n)
    hour = rng.uniform(0, 24, n)
    minute_hour = hour[:, None] - (WINDOW - 1 - np.arange(WINDOW))[None, :] / 60
    season = 1 + amplitude[:, None] * np.cos(2 * np.pi * (minute_hour - peak[:, None]) / 24)
    eps = rng.normal(0, 0.03, (n, WINDOW))
    drift = np.zeros((n, WINDOW))
    drift[:, 0] = eps[:, 0] / math.sqrt(1 - 0.9 ** 2)  # start in the AR(1)'s stationary distribution
    for t in range(1, WINDOW):
        drift[:, t] = 0.9 * drift[:, t - 1] + eps[:, t]
    rate = level[:, None] * season * np.exp(drift)
    kind = np.zeros(n, np.int64)
    anomalous = rng.random(n) < anomaly_share
    kind[anomalous] = rng.integers(1, 4, int(anomalous.sum()))
    for i in np.nonzero(anomalous)[0]:
        if kind[i] == 1:  # spike
            length = rng.integers(1, 4)
            start = rng.integers(0, WINDOW - length + 1)
            rate[i, start:start + length] *= rng.uniform(1.5, 6)
        elif kind[i] == 2:  # drop
            length = rng.integers(2, 9)
            start = rng.integers(0, WINDOW - length + 1)
            rate[i, start:start + length] *= rng.uniform(0, 0.5)
        else:  # level shift, up or down
            start = rng.integers(5, 28)
            rate[i, start:] *= rng.uniform(1.3, 2.5) if rng.random() < 0.5 else rng.uniform(0.4, 0.75)
    window = np.minimum(RATE_MAX, rng.poisson(rate)).astype(np.float32)
    hour = np.minimum(hour.astype(np.float32), np.float32(HOUR_TOP))[:, None]
    return window, hour, kind


def make_anomaly_dataset():
    rng = np.random.default_rng(ANOMALY_SEED)
    w_tr, h_tr, _ = draw_windows(rng, 40_000, 0.0)
    w_te, h_te, k_te = draw_windows(rng, 10_000, 0.3)
    return w_tr, h_tr, w_te, h_te, k_te


# ----------------------------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------------------------

def f32(v):
    """Shortest decimal that reads back as the same float32, so JSON stays small and exact for Float32Array."""
    return float(np.format_float_positional(np.float32(v), unique=True, trim="-"))


def versions():
    return {"torch": torch.__version__, "onnx": onnx.__version__, "xgboost": xgb.__version__,
            "scikit-learn": sklearn.__version__, "numpy": np.__version__}


def write_json(path, obj, indent=2, ensure_ascii=True):
    with open(path, "w") as fh:
        if indent is None:
            json.dump(obj, fh, separators=(",", ":"), ensure_ascii=ensure_ascii)
        else:
            json.dump(obj, fh, indent=indent, ensure_ascii=ensure_ascii)
        fh.write("\n")


def write_model_folder(name, onnx_bytes, manifest_obj, ref_source, cases):
    """cases: [{"features": {...}, "outputs": {...}}], already in API terms (see the reference_* functions)."""
    assert len(cases) == N_REFERENCE
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.onnx"), "wb") as fh:
        fh.write(onnx_bytes)
    write_json(os.path.join(out, "manifest.json"), manifest_obj)
    write_json(os.path.join(out, "reference.json"), {"source": ref_source, "cases": cases}, indent=None)
    return out


def tensor(name, dtype, *width):
    return {"name": name, "dtype": dtype, "shape": ["batch", *width]}


def manifest(name, task, description, framework, kind, tensors, features, outputs, metric_block,
             default=False, graphql=None, ml=False, extra=None):
    # 1.1.0 for Latency: retrained with hourOfDay in [0, 24) (was [0, 23]); the ONNX interface is unchanged.
    m = {"name": name, "version": "1.1.0" if task == "Latency" else "1.0.0", "task": task}
    if default:
        m["default"] = True
    m.update({"description": description, "framework": framework, "kind": kind})
    if graphql:
        m["graphql"] = graphql
    m.update({"tensors": tensors, "features": features, "outputs": outputs, "metrics": metric_block})
    prov = {"script": "models/train.py", "seed": {"Latency": SEED, "Churn": CHURN_SEED, "Anomaly": ANOMALY_SEED}[task],
            "trainedWith": versions(), "opset": OPSET}
    if ml:
        prov["mlOpset"] = ML_OPSET
    prov["createdBy"] = "predictql models/train.py"
    m["provenance"] = prov
    if extra:
        m.update(extra)
    return m


def onnx_model(graph, ml=False):
    opsets = [helper.make_opsetid("", OPSET)] + ([helper.make_opsetid("ai.onnx.ml", ML_OPSET)] if ml else [])
    m = helper.make_model(graph, producer_name="predictql models/train.py", opset_imports=opsets)
    m.ir_version = 8  # onnx 1.12 writes IR 8; pinned so the file does not depend on a helper default
    onnx.checker.check_model(m)
    return m.SerializeToString()


def torch_export(model, args, input_names, output_names):
    path = os.path.join("/tmp", f"predictql-export-{os.getpid()}.onnx")
    torch.onnx.export(
        model, args, path, input_names=input_names, output_names=output_names,
        dynamic_axes={n: {0: "batch"} for n in input_names + output_names},
        opset_version=OPSET, do_constant_folding=True,
    )
    m = onnx.load(path)
    os.remove(path)
    onnx.checker.check_model(m)
    return m.SerializeToString()


def round3(v, top):
    """A float for an examples file: 3 decimals, kept inside a [min, max) range when rounding would reach max."""
    r = round(float(v), 3)
    return r if top is None or r < top else math.floor(float(v) * 1000) / 1000


def write_examples(filename, task, description, rows, id_prefix, id_width, graphql=None):
    """rows: feature dicts (API values, floats already rounded). Every row must differ from every other."""
    keys = {json.dumps(r, sort_keys=True) for r in rows}
    assert len(keys) == len(rows), f"{filename}: duplicate example rows"
    doc = {"task": task, "description": description}
    if graphql:
        doc["graphql"] = graphql
    doc["examples"] = [{"id": f"{id_prefix}-{i + 1:0{id_width}d}", "features": r} for i, r in enumerate(rows)]
    path = os.path.join(HERE, filename)
    write_json(path, doc, indent=None)
    return path


# ----------------------------------------------------------------------------------------------------------------
# Latency: manifest pieces, metrics, references
# ----------------------------------------------------------------------------------------------------------------

def latency_features():
    out = []
    for n, u, lo, hi, d in FEATURES:
        f = {"name": n, "description": d, "unit": u, "min": lo, "max": hi}
        if n in MAX_EXCLUSIVE:
            f["maxExclusive"] = True
        out.append(f)
    return out


def latency_outputs():
    return [{"name": o["name"], "description": o["description"], "tensor": "latency_ms", "column": i, "unit": o["unit"]}
            for i, o in enumerate(OUTPUTS)]


def metrics(y_true, y_pred, n_train):
    err = y_pred.astype(np.float64) - y_true.astype(np.float64)
    rmse = np.sqrt(np.mean(err ** 2, axis=0))
    mae = np.mean(np.abs(err), axis=0)
    ape = relative_summary(y_true, y_pred)
    return {
        "heldOutRows": int(len(y_true)),
        "trainRows": int(n_train),
        "rmseMs": {"p50Ms": round(float(rmse[0]), 3), "p95Ms": round(float(rmse[1]), 3)},
        "maeMs": {"p50Ms": round(float(mae[0]), 3), "p95Ms": round(float(mae[1]), 3)},
        "medianAbsPctError": {"p50Ms": ape[0], "p95Ms": ape[1]},
    }


def relative_summary(y_true, y_pred):
    """Median absolute percentage error per target: for the README, since ms errors are dominated by the tail."""
    ape = np.abs(y_pred - y_true) / y_true
    return [round(float(np.median(ape[:, i])) * 100, 2) for i in range(2)]


def reference_inputs(x_test):
    """64 rows: the all-min and all-max rows, each feature at its min and max on a held-out row, then held-out rows."""
    rows = [LO.copy(), TOP.copy()]
    for j in range(len(FEATURES)):
        for k, bound in enumerate((LO[j], TOP[j])):
            r = x_test[2 * j + k].copy()
            r[j] = bound
            rows.append(r)
    rows.extend(x_test[100:100 + N_REFERENCE - len(rows)])
    return np.stack(rows).astype(np.float32)


def latency_cases(ref_x, ref_y):
    return [{"features": {n: f32(v) for n, v in zip(FEATURE_NAMES, x)},
             "outputs": {"p50Ms": f32(y[0]), "p95Ms": f32(y[1])}} for x, y in zip(ref_x, ref_y)]


def latency_manifest(name, description, framework, kind, met, default=False, extra=None, ml=False):
    return manifest(name, "Latency", description, framework, kind,
                    {"inputs": [tensor("features", "float32", len(FEATURES))],
                     "outputs": [tensor("latency_ms", "float32", 2)]},
                    latency_features(), latency_outputs(), met, default=default, graphql=LATENCY_GRAPHQL, ml=ml,
                    extra=extra)


# ----------------------------------------------------------------------------------------------------------------
# Latency MLP (torch)
# ----------------------------------------------------------------------------------------------------------------

def engineer(x):
    """Raw features -> 9 model inputs. Sizes and counts span decades, so log1p; the hour is circular, so sin/cos."""
    payload, conc, cpu, mem, cache, db, down, hour = x.unbind(dim=1)
    angle = hour * (2 * math.pi / 24)
    return torch.stack([
        torch.log1p(payload), torch.log(conc), cpu, mem, cache,
        torch.log1p(db), torch.log1p(down), torch.sin(angle), torch.cos(angle),
    ], dim=1)


def mlp_layers(width, hidden, n_out):
    layers = []
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.SiLU()]
        width = h
    layers.append(torch.nn.Linear(width, n_out))
    return torch.nn.Sequential(*layers)


class LatencyMLP(torch.nn.Module):
    def __init__(self, mean, std, hidden):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.net = mlp_layers(mean.shape[0], hidden, 2)

    def log_latency(self, x):
        a, b = self.net((engineer(x) - self.mean) / self.std).unbind(dim=1)
        # log p95 = log p50 + softplus(.) makes p95 >= p50 a property of the graph, not of the training.
        return torch.stack([a, a + torch.nn.functional.softplus(b)], dim=1)

    def forward(self, x):
        return torch.exp(self.log_latency(x))


def fit(model, tensors, loss_fn, epochs, batch, lr, label):
    """Adam + one-cycle LR over mini-batches of the given tensors (same permutation for all), seeded."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(tensors[0])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * math.ceil(n / batch))
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            loss = loss_fn(*(t[idx] for t in tensors))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"  epoch {epoch:3d}  train {label} {total / n:.5f}", flush=True)
    return model.eval()


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
    loss = lambda x, y: torch.nn.functional.mse_loss(model.log_latency(x), y)
    return fit(model, (xt, yt), loss, epochs, batch, lr, "MSE(log)")


def predict_torch(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def build_mlp(name, description, hidden, epochs, batch, lr, x_tr, y_tr, x_te, y_te, default=False):
    print(f"{name}: training MLP {len(FEATURES)} -> {' -> '.join(map(str, hidden))} -> 2", flush=True)
    model = train_mlp(x_tr, y_tr, hidden, epochs, batch, lr)
    pred = predict_torch(model, x_te)
    assert np.all(pred[:, 1] >= pred[:, 0])
    met = metrics(y_te, pred, len(x_tr))
    print(f"  held-out {met}", flush=True)
    ref_x = reference_inputs(x_te)
    man = latency_manifest(name, description, f"torch {torch.__version__}", "mlp", met, default=default)
    onnx_bytes = torch_export(model, torch.zeros(1, len(FEATURES)), ["features"], ["latency_ms"])
    out = write_model_folder(name, onnx_bytes, man, "torch", latency_cases(ref_x, predict_torch(model, ref_x)))
    return model, out, met


# ----------------------------------------------------------------------------------------------------------------
# GBDT (XGBoost -> ai.onnx.ml TreeEnsembleRegressor / TreeEnsembleClassifier)
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


def tree_attributes(booster, classifier=False):
    """Flatten the booster's JSON dump into TreeEnsembleRegressor (target_*) or TreeEnsembleClassifier (class_*)
    attribute arrays.

    XGBoost sends x < split_condition to the left ("yes") child and NaN to the default child; ONNX BRANCH_LT sends
    x < value to the true child, and nodes_missing_value_tracks_true sends NaN to the true child. So left = true.
    Leaf values in the dump already include the learning rate. tree_info says which output (target, or class for
    multi:softprob, whose trees go round-robin over the classes) a tree adds to. base_score starts every output's
    margin (xgboost 1.7 adds it to each class's margin too, before the softmax), so it goes into base_values.
    """
    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    gb = learner["gradient_booster"]["model"]
    param = learner["learner_model_param"]
    n_out = max(int(param["num_target"]), int(param["num_class"]))
    base_score = float(param["base_score"])
    leaf_prefix = "class_" if classifier else "target_"
    a = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true")}
    leaves = {k: [] for k in ("treeids", "nodeids", "ids", "weights")}
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
                leaves["treeids"].append(tree_id)
                leaves["nodeids"].append(node)
                leaves["ids"].append(int(target))
                leaves["weights"].append(tree["split_conditions"][node])
    # Round through float32 here, since that is what the ONNX float attributes will store.
    a["nodes_values"] = [float(v) for v in np.float32(a["nodes_values"])]
    leaves["weights"] = [float(v) for v in np.float32(leaves["weights"])]
    for k, v in leaves.items():
        a[leaf_prefix + k] = v
    a["base_values"] = [float(np.float32(base_score))] * n_out
    if classifier:
        a["classlabels_int64s"] = list(range(n_out))
    else:
        a["n_targets"] = n_out
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
    return onnx_model(graph, ml=True)


def eval_tree_ensemble(onnx_bytes, x):
    """Pure-numpy tree ensemble (regressor or classifier, no post-transform; BRANCH_LT or BRANCH_LEQ nodes) over the
    attributes as stored in the ONNX file (no onnx.reference in 1.12): the margins, float64 [n, outputs]."""
    node = next(n for n in onnx.load_from_string(onnx_bytes).graph.node if n.op_type.startswith("TreeEnsemble"))
    leaf_prefix = "class_" if node.op_type == "TreeEnsembleClassifier" else "target_"
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
    leq = np.zeros(size, bool)
    leq[k] = np.array([m == b"BRANCH_LEQ" for m in a["nodes_modes"]])
    if "base_values" in a:
        base = a["base_values"]
    else:  # no base_values (skl2onnx's random forest): every output starts at 0
        labels = a.get("classlabels_int64s", a.get("classlabels_strings"))
        base = [0.0] * (a["n_targets"] if "n_targets" in a else len(labels))
    out = np.tile(np.array(base, np.float64), (len(x), 1))
    # What each leaf adds to each output (a leaf may add to several: skl2onnx's forests hold every class's share).
    weight = np.zeros((size, len(base)), np.float64)
    lk = flat(a[leaf_prefix + "treeids"], a[leaf_prefix + "nodeids"])
    np.add.at(weight, (lk, a[leaf_prefix + "ids"]), np.float32(a[leaf_prefix + "weights"]))
    rows = np.arange(len(x))
    for t in range(n_trees):
        idx = np.full(len(x), t * width)
        while not leaf[idx].all():
            v = x[rows, feat[idx]]
            go_true = np.where(np.isnan(v), miss[idx], np.where(leq[idx], v <= thr[idx], v < thr[idx]))
            idx = np.where(leaf[idx], idx, np.where(go_true, tnode[idx], fnode[idx]))
        out += weight[idx]
    return out


def with_nans(x, n=500):
    """n copies of the first rows of x with one feature (cycling) set to NaN: the missing-value paths."""
    nan_x = x[:n].copy()
    nan_x[np.arange(n), np.arange(n) % x.shape[1]] = np.nan
    return nan_x


def build_gbdt(x_tr, y_tr, x_te, y_te):
    name = "request-latency-gbdt"
    print(f"{name}: training XGBoost", flush=True)
    booster = train_gbdt(x_tr, y_tr)
    dte = xgb.DMatrix(x_te, feature_names=FEATURE_NAMES)
    pred = compose(booster.predict(dte, output_margin=True))
    met = metrics(y_te, pred, len(x_tr))
    print(f"  held-out {met}", flush=True)

    model_bytes = gbdt_onnx(tree_attributes(booster))
    # Check the converted arrays against xgboost itself, on held-out rows, range edges and NaNs (missing values).
    check_x = np.concatenate([x_te, reference_inputs(x_te), with_nans(x_te)])
    want = booster.predict(xgb.DMatrix(check_x, feature_names=FEATURE_NAMES), output_margin=True)
    got = eval_tree_ensemble(model_bytes, check_x)
    margin_diff = float(np.max(np.abs(got - want)))
    ms_rel = float(np.max(np.abs(compose(got) - compose(want)) / compose(want)))
    print(f"  converter check on {len(check_x)} rows: max |margin diff| {margin_diff:.3g}, max rel ms diff {ms_rel:.3g}")
    assert margin_diff < 1e-4 and ms_rel < 1e-4, "converted tree ensemble disagrees with xgboost.predict"

    ref_x = reference_inputs(x_te)
    ref_y = compose(booster.predict(xgb.DMatrix(ref_x, feature_names=FEATURE_NAMES), output_margin=True))
    man = latency_manifest(
        name,
        "Gradient-boosted trees (XGBoost) predicting p50 and p95 latency in ms of one HTTP request from payload "
        "size, instance load and per-request work; same interface as request-latency.",
        f"xgboost {xgb.__version__}", "gbdt", met, ml=True,
        extra={"rawModel": {
            "file": "model.xgb.json",
            "format": "xgboost JSON (Booster.save_model), 2 targets; predict with output_margin=True",
            "features": "the 8 features in manifest order, float32, NaN = missing",
            "composition": "margin m = [log p50, log(p95/p50)]; p50Ms = exp(m[0]); p95Ms = exp(m[0] + max(m[1], 0))",
        }},
    )
    out = write_model_folder(name, model_bytes, man, "xgboost", latency_cases(ref_x, ref_y))
    booster.save_model(os.path.join(out, "model.xgb.json"))
    return out, met, margin_diff


def write_latency_examples():
    x = draw_features(np.random.default_rng(SAMPLE_SEED), N_SAMPLES)
    rows = []
    for row in x:
        feats = {}
        for (name, _, lo, hi, _), top, v in zip(FEATURES, TOP, row):
            # Rounding a value inside [lo, hi] to 3 decimals cannot leave the range, since lo and hi are integers;
            # for [0, 24) round3 keeps 23.9996 at 23.999 rather than 24.
            feats[name] = int(round(float(v))) if name in INTEGER_FEATURES else \
                round3(v, hi if name in MAX_EXCLUSIVE else None)
        rows.append(feats)
    # The server dedupes by float32 tensor row: rows must stay distinct after that cast too.
    assert len({np.float32([r[n] for n in FEATURE_NAMES]).tobytes() for r in rows}) == len(rows)
    return write_examples(
        "latency.examples.json", "Latency",
        f"{N_SAMPLES} sample requests from the training generator with another seed ({SAMPLE_SEED}); floats rounded "
        "to 3 decimals.",
        rows, "req", 4, graphql=LATENCY_EXAMPLES_GRAPHQL)


# ----------------------------------------------------------------------------------------------------------------
# Churn: manifest pieces, metrics, references
# ----------------------------------------------------------------------------------------------------------------

def churn_features(gbdt):
    """The GraphQL input of task Churn; both models give the same fields, only where they go differs."""
    feats = []
    for name, typ, unit, lo, hi, desc in CHURN_NUMERIC:
        f = {"name": name, "description": desc, "type": typ, "tensor": "numeric"}
        if unit:
            f["unit"] = unit
        if lo is not None:
            f["min"], f["max"] = lo, hi
        if name == "lastLoginDaysAgo":
            f["default"] = LAST_LOGIN_DEFAULT
        feats.append(f)
    plan = {"name": "plan", "description": "Current plan.", "type": "category", "tensor": "numeric" if gbdt else "plan"}
    if gbdt:
        plan["column"] = len(CHURN_NUMERIC)  # the default too; explicit since it shares the numeric tensor
    plan.update({"values": PLANS, "valueDescriptions": PLAN_DESCRIPTIONS, "encoding": "index"})
    region = {"name": "region", "description": "Billing region.", "type": "category", "tensor": "region",
              "values": REGIONS, "valueDescriptions": REGION_DESCRIPTIONS}
    if gbdt:
        region.update({"encoding": "string", "codes": REGION_CODES})
    else:
        region["encoding"] = "index"
    return feats + [plan, region]


def churn_output(tensor_name, scores):
    return [{"name": "outcome", "description": "What the customer most likely does at the next quarterly renewal; "
                                              "probabilities holds all three, in label order.",
             "kind": "class", "tensor": tensor_name, "labels": CLASSES, "labelDescriptions": CLASS_DESCRIPTIONS,
             "scores": scores}]


def churn_metrics(y_true, prob, n_train, gen_prob, y_train):
    prob = prob.astype(np.float64)
    prior = np.bincount(y_train, minlength=3) / len(y_train)
    ll = lambda p: float(-np.mean(np.log(np.clip(p[np.arange(len(y_true)), y_true], 1e-15, 1))))
    pred = prob.argmax(axis=1)
    f1 = []
    for c in range(3):
        tp = np.sum((pred == c) & (y_true == c))
        f1.append(2 * tp / max(1, np.sum(pred == c) + np.sum(y_true == c)))
    return {
        "heldOutRows": int(len(y_true)),
        "trainRows": int(n_train),
        "classShare": {c: round(float(np.mean(y_true == i)), 4) for i, c in enumerate(CLASSES)},
        "accuracy": round(float(np.mean(pred == y_true)), 4),
        "logLoss": round(ll(prob), 4),
        "macroF1": round(float(np.mean(f1)), 4),
        "rocAucOneVsRest": {c: round(float(roc_auc_score(y_true == i, prob[:, i])), 4) for i, c in enumerate(CLASSES)},
        "baseline": {
            "note": "majority class / training class shares, and the generator's own probabilities (which also see "
                    "its hidden engagement and trouble variables)",
            "majorityAccuracy": round(float(np.mean(y_true == np.argmax(prior))), 4),
            "priorLogLoss": round(ll(np.tile(prior, (len(y_true), 1))), 4),
            "generatorAccuracy": round(float(np.mean(gen_prob.argmax(axis=1) == y_true)), 4),
            "generatorLogLoss": round(ll(gen_prob), 4),
        },
    }


def churn_reference_inputs(te):
    """64 customers: all-min, all-max, each numeric column (autoRenew included) at its min and max on a held-out row,
    each plan and each region on a held-out row, lastLoginDaysAgo at its default, then held-out rows."""
    num, plan, region = [], [], []

    def add(n, p, r):
        num.append(np.float32(n)), plan.append(p), region.append(r)

    add(CHURN_LO, 0, 0)
    add(CHURN_HI, len(PLANS) - 1, len(REGIONS) - 1)
    i = 0
    for j in range(len(CHURN_NUMERIC)):
        for bound in (CHURN_LO[j], CHURN_HI[j]):
            n = te["numeric"][i].copy()
            n[j] = bound
            add(n, te["plan"][i], te["region"][i])
            i += 1
    for p in range(len(PLANS)):
        add(te["numeric"][i], p, te["region"][i])
        i += 1
    for r in range(len(REGIONS)):
        add(te["numeric"][i], te["plan"][i], r)
        i += 1
    n = te["numeric"][i].copy()
    n[4] = LAST_LOGIN_DEFAULT
    add(n, te["plan"][i], te["region"][i])
    for k in range(100, 100 + N_REFERENCE - len(num)):
        add(te["numeric"][k], te["plan"][k], te["region"][k])
    return {"numeric": np.stack(num).astype(np.float32), "plan": np.array(plan, np.int64),
            "region": np.array(region, np.int64)}


def churn_feature_dict(numeric, plan, region, rounded=False):
    feats = {}
    for (name, typ, _, _, _, _), v in zip(CHURN_NUMERIC, numeric):
        if typ == "int":
            feats[name] = int(v)
        elif typ == "bool":
            feats[name] = bool(v)
        else:
            feats[name] = round3(v, None) if rounded else f32(v)
    feats["plan"] = PLANS[plan]
    feats["region"] = REGIONS[region]
    return feats


def churn_cases(ref, prob):
    cases = []
    for k in range(len(prob)):
        cases.append({"features": churn_feature_dict(ref["numeric"][k], ref["plan"][k], ref["region"][k]),
                      "outputs": {"outcome": CLASSES[int(np.argmax(prob[k]))],
                                  "probabilities": [f32(p) for p in prob[k]]}})
    return cases


def softmax64(logits):
    z = logits.astype(np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------------------------------
# Churn MLP (torch, three input tensors)
# ----------------------------------------------------------------------------------------------------------------

def churn_engineer(numeric):
    """Raw numeric columns -> model inputs: counts and money span decades, so log1p; autoRenew stays 0/1."""
    tenure, spend, seats, tickets, login, auto = numeric.unbind(dim=1)
    return torch.stack([torch.log1p(tenure), torch.log1p(spend), torch.log1p(seats), torch.log1p(tickets),
                        torch.log1p(login), auto], dim=1)


class ChurnMLP(torch.nn.Module):
    def __init__(self, mean, std, hidden=(32, 32)):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.plan_embedding = torch.nn.Embedding(len(PLANS), 3)
        self.region_embedding = torch.nn.Embedding(len(REGIONS), 2)
        self.net = mlp_layers(mean.shape[0] + 3 + 2, hidden, len(CLASSES))

    def forward(self, numeric, plan, region):
        x = torch.cat([(churn_engineer(numeric) - self.mean) / self.std,
                       self.plan_embedding(plan), self.region_embedding(region)], dim=1)
        return self.net(x)


def churn_logits(model, d):
    with torch.no_grad():
        return model(torch.from_numpy(d["numeric"]), torch.from_numpy(d["plan"]), torch.from_numpy(d["region"])).numpy()


def build_churn_mlp(tr, y_tr, te, y_te, gen_prob):
    name = "customer-churn"
    print(f"{name}: training MLP (6 numeric + plan/region embeddings) -> 32 -> 32 -> 3", flush=True)
    torch.manual_seed(SEED)
    num, plan, region = (torch.from_numpy(tr[k]) for k in ("numeric", "plan", "region"))
    eng = churn_engineer(num)
    std = eng.std(0)
    model = ChurnMLP(eng.mean(0), std)
    yt = torch.from_numpy(y_tr)
    loss = lambda n, p, r, y: torch.nn.functional.cross_entropy(model(n, p, r), y)
    fit(model, (num, plan, region, yt), loss, epochs=40, batch=256, lr=3e-3, label="cross-entropy")

    prob = softmax64(churn_logits(model, te))
    met = churn_metrics(y_te, prob, len(y_tr), gen_prob, y_tr)
    print(f"  held-out {met}", flush=True)
    ref = churn_reference_inputs(te)
    man = manifest(
        name, "Churn",
        "Small MLP predicting whether a SaaS customer renews, downgrades or churns at the next quarterly renewal, "
        "from tenure, spend, seats, support load, activity, auto-renewal, plan and region.",
        f"torch {torch.__version__}", "mlp",
        {"inputs": [tensor("numeric", "float32", len(CHURN_NUMERIC)), tensor("plan", "int64"),
                    tensor("region", "int64")],
         "outputs": [tensor("logits", "float32", len(CLASSES))]},
        churn_features(gbdt=False), churn_output("logits", "logits"), met, default=True)
    onnx_bytes = torch_export(model, (torch.zeros(1, len(CHURN_NUMERIC)), torch.zeros(1, dtype=torch.int64),
                                      torch.zeros(1, dtype=torch.int64)),
                              ["numeric", "plan", "region"], ["logits"])
    out = write_model_folder(name, onnx_bytes, man, "torch", churn_cases(ref, softmax64(churn_logits(model, ref))))
    return out, met


# ----------------------------------------------------------------------------------------------------------------
# Churn GBDT (XGBoost multi:softprob -> LabelEncoder + TreeEnsembleClassifier)
# ----------------------------------------------------------------------------------------------------------------

CHURN_GBDT_FEATURES = [c[0] for c in CHURN_NUMERIC] + ["planIndex", "regionIndex"]


def churn_gbdt_matrix(d):
    """The 8 tree features: the 6 numeric columns, the plan index and the region index, as float32."""
    return np.concatenate([d["numeric"], d["plan"][:, None].astype(np.float32),
                           d["region"][:, None].astype(np.float32)], axis=1)


def churn_gbdt_onnx(attrs):
    codes = [REGION_CODES[r] for r in REGIONS]
    nodes = [
        helper.make_node("LabelEncoder", ["region"], ["region_index"], name="region_index", domain="ai.onnx.ml",
                         keys_strings=codes, values_int64s=list(range(len(codes))), default_int64=-1),
        helper.make_node("Cast", ["region_index"], ["region_float"], name="region_float", to=TensorProto.FLOAT),
        helper.make_node("Concat", ["numeric", "region_float"], ["features"], name="features", axis=1),
        helper.make_node("TreeEnsembleClassifier", ["features"], ["label", "probabilities"], name="trees",
                         domain="ai.onnx.ml", post_transform="SOFTMAX", **attrs),
    ]
    graph = helper.make_graph(
        nodes, "customer_churn_gbdt",
        [helper.make_tensor_value_info("numeric", TensorProto.FLOAT, ["batch", len(CHURN_NUMERIC) + 1]),
         helper.make_tensor_value_info("region", TensorProto.STRING, ["batch", 1])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", len(CLASSES)])],
    )
    return onnx_model(graph, ml=True)


def build_churn_gbdt(tr, y_tr, te, y_te, gen_prob):
    name = "customer-churn-gbdt"
    print(f"{name}: training XGBoost multi:softprob", flush=True)
    params = {"objective": "multi:softprob", "num_class": len(CLASSES), "tree_method": "hist", "max_depth": 4,
              "eta": 0.1, "subsample": 0.8, "min_child_weight": 5, "nthread": 1, "seed": SEED}
    dm = lambda d: xgb.DMatrix(churn_gbdt_matrix(d), feature_names=CHURN_GBDT_FEATURES)
    booster = xgb.train(params, xgb.DMatrix(churn_gbdt_matrix(tr), label=y_tr, feature_names=CHURN_GBDT_FEATURES), 150)
    prob = booster.predict(dm(te))
    met = churn_metrics(y_te, prob, len(y_tr), gen_prob, y_tr)
    print(f"  held-out {met}", flush=True)

    model_bytes = churn_gbdt_onnx(tree_attributes(booster, classifier=True))
    ref = churn_reference_inputs(te)
    check_x = np.concatenate([churn_gbdt_matrix(te), churn_gbdt_matrix(ref), with_nans(churn_gbdt_matrix(te))])
    dcheck = xgb.DMatrix(check_x, feature_names=CHURN_GBDT_FEATURES)
    want = booster.predict(dcheck, output_margin=True)
    got = eval_tree_ensemble(model_bytes, check_x)
    margin_diff = float(np.max(np.abs(got - want)))
    prob_diff = float(np.max(np.abs(softmax64(got) - booster.predict(dcheck))))
    print(f"  converter check on {len(check_x)} rows: max |margin diff| {margin_diff:.3g}, "
          f"max |probability diff| {prob_diff:.3g}")
    assert margin_diff < 1e-4 and prob_diff < 1e-5, "converted tree ensemble disagrees with xgboost.predict"

    ref_prob = booster.predict(dm(ref))
    man = manifest(
        name, "Churn",
        "Gradient-boosted trees (XGBoost) predicting whether a SaaS customer renews, downgrades or churns at the next "
        "quarterly renewal; same GraphQL interface as customer-churn, region fed as a lowercase string.",
        f"xgboost {xgb.__version__}", "gbdt",
        {"inputs": [tensor("numeric", "float32", len(CHURN_NUMERIC) + 1), tensor("region", "string", 1)],
         "outputs": [tensor("label", "int64"), tensor("probabilities", "float32", len(CLASSES))]},
        churn_features(gbdt=True), churn_output("probabilities", "probabilities"), met, ml=True,
        extra={"rawModel": {
            "file": "model.xgb.json",
            "format": "xgboost JSON (Booster.save_model), multi:softprob with 3 classes (RENEWS, DOWNGRADES, CHURNS)",
            "features": "8 float32 columns: tenureMonths, monthlySpend, seats, supportTickets90d, lastLoginDaysAgo, "
                        "autoRenew (0/1), plan index (FREE 0, TEAM 1, BUSINESS 2, ENTERPRISE 3), region index "
                        "(NA 0, EU 1, APAC 2, LATAM 3); NaN = missing",
            "composition": "booster.predict(DMatrix(x)) gives the 3 class probabilities; the label is the argmax",
        }},
    )
    out = write_model_folder(name, model_bytes, man, "xgboost", churn_cases(ref, ref_prob))
    booster.save_model(os.path.join(out, "model.xgb.json"))
    return out, met, margin_diff, prob_diff


def write_churn_examples():
    numeric, plan, region, _ = draw_customers(np.random.default_rng(CHURN_SAMPLE_SEED), N_CHURN_SAMPLES)
    rows = [churn_feature_dict(numeric[i], plan[i], region[i], rounded=True) for i in range(N_CHURN_SAMPLES)]
    return write_examples(
        "churn.examples.json", "Churn",
        f"{N_CHURN_SAMPLES} customers from the training generator with another seed ({CHURN_SAMPLE_SEED}); floats "
        "rounded to 3 decimals.",
        rows, "cust", 4)


# ----------------------------------------------------------------------------------------------------------------
# Anomaly: autoencoder (torch)
# ----------------------------------------------------------------------------------------------------------------

class TrafficAutoencoder(torch.nn.Module):
    """window [b, 30] raw counts, hour [b, 1] -> (score [b], embedding [b, 8]).

    The window is normalised inside the graph: log1p (rates span decades), minus the window's own mean (the level
    says nothing about anomalies), divided by the training std of that. The hour enters as sin/cos into both
    encoder and decoder (it sets the expected slope of the daily curve). score = mean squared reconstruction error
    of the normalised window.
    """

    def __init__(self, scale):
        super().__init__()
        self.register_buffer("scale", scale)
        self.encoder = torch.nn.Sequential(
            torch.nn.Linear(WINDOW + 2, 64), torch.nn.SiLU(), torch.nn.Linear(64, 32), torch.nn.SiLU(),
            torch.nn.Linear(32, 8))
        self.decoder = torch.nn.Sequential(
            torch.nn.Linear(8 + 2, 32), torch.nn.SiLU(), torch.nn.Linear(32, 64), torch.nn.SiLU(),
            torch.nn.Linear(64, WINDOW))

    @staticmethod
    def centred(window):
        # log1p(w) - mean(log1p(w)), taken as the log of (1 + w) / (1 + mean(w)) so that the logs are near 0:
        # float32 logs near ln(100000) = 11.5 would lose ~1e-6 to rounding before the subtraction, which the
        # division by the small scale then multiplies by 14 (onnxruntime vs torch: 2e-5 relative on the score).
        ratio = (1 + window) / (1 + window.mean(dim=1, keepdim=True))
        log = torch.log(ratio)
        return log - log.mean(dim=1, keepdim=True)

    def forward(self, window, hour):
        z = self.centred(window) / self.scale
        angle = hour * (2 * math.pi / 24)
        clock = torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)
        embedding = self.encoder(torch.cat([z, clock], dim=1))
        recon = self.decoder(torch.cat([embedding, clock], dim=1))
        return ((recon - z) ** 2).mean(dim=1), embedding


def anomaly_predict(model, w, h):
    with torch.no_grad():
        s, e = model(torch.from_numpy(w), torch.from_numpy(h))
        return s.numpy(), e.numpy()


def anomaly_metrics(score_te, kind_te, score_tr):
    y = kind_te > 0
    threshold = float(np.percentile(score_tr, 99))
    return {
        "trainWindows": int(len(score_tr)),
        "heldOutWindows": int(len(kind_te)),
        "heldOutAnomalous": {ANOMALY_KINDS[k]: int(np.sum(kind_te == k)) for k in range(1, 4)},
        "rocAuc": round(float(roc_auc_score(y, score_te)), 4),
        "rocAucByKind": {ANOMALY_KINDS[k]: round(float(roc_auc_score(kind_te[(kind_te == 0) | (kind_te == k)] == k,
                                                                     score_te[(kind_te == 0) | (kind_te == k)])), 4)
                         for k in range(1, 4)},
        "medianScoreNormal": f32(np.median(score_te[~y])),
        "suggestedThreshold": {
            "note": "99th percentile of the training (normal) windows' scores",
            "score": f32(threshold),
            "falsePositiveRate": round(float(np.mean(score_te[~y] > threshold)), 4),
            "recallByKind": {ANOMALY_KINDS[k]: round(float(np.mean(score_te[kind_te == k] > threshold)), 4)
                             for k in range(1, 4)},
        },
    }


def anomaly_reference_inputs(w_te, h_te, k_te):
    """64 windows: all-zero at hour 0, all-max at the top hour, a held-out window at hour 0 and at the top hour, one
    with a minute at 0 and one with a minute at the maximum, then held-out windows (normal and anomalous)."""
    ws, hs = [np.zeros(WINDOW, np.float32), np.full(WINDOW, RATE_MAX, np.float32)], [0.0, HOUR_TOP]
    ws += [w_te[0], w_te[1]]
    hs += [0.0, HOUR_TOP]
    w = w_te[2].copy()
    w[-1] = 0
    ws.append(w), hs.append(float(h_te[2, 0]))
    w = w_te[3].copy()
    w[WINDOW // 2] = RATE_MAX
    ws.append(w), hs.append(float(h_te[3, 0]))
    start = 100
    stop = start + N_REFERENCE - len(ws)
    ws += list(w_te[start:stop])
    hs += list(h_te[start:stop, 0])
    assert set(k_te[start:stop]) == {0, 1, 2, 3}, "reference windows should hold every anomaly kind"
    return np.stack(ws).astype(np.float32), np.array(hs, np.float32)[:, None]


def anomaly_feature_dict(w, h, rounded=False):
    hour = round3(h, 24) if rounded else f32(h)
    return {"requestsPerMinute": [int(v) if float(v).is_integer() else f32(v) for v in w], "hourOfDay": hour}


def build_anomaly():
    name = "traffic-anomaly"
    w_tr, h_tr, w_te, h_te, k_te = make_anomaly_dataset()
    print(f"{name}: training autoencoder (30 + 2 -> 64 -> 32 -> 8 -> 32 -> 64 -> 30) on {len(w_tr)} normal windows",
          flush=True)
    torch.manual_seed(SEED)
    wt, ht = torch.from_numpy(w_tr), torch.from_numpy(h_tr)
    model = TrafficAutoencoder(TrafficAutoencoder.centred(wt).std())
    fit(model, (wt, ht), lambda w, h: model(w, h)[0].mean(), epochs=40, batch=256, lr=3e-3, label="MSE")

    score_te, _ = anomaly_predict(model, w_te, h_te)
    score_tr, _ = anomaly_predict(model, w_tr, h_tr)
    met = anomaly_metrics(score_te, k_te, score_tr)
    print(f"  held-out {met}", flush=True)
    ref_w, ref_h = anomaly_reference_inputs(w_te, h_te, k_te)
    ref_s, ref_e = anomaly_predict(model, ref_w, ref_h)
    cases = [{"features": anomaly_feature_dict(ref_w[i], ref_h[i, 0]),
              "outputs": {"score": f32(ref_s[i]), "embedding": [f32(v) for v in ref_e[i]]}} for i in range(len(ref_s))]
    features = [
        {"name": "requestsPerMinute", "description": "Requests the service received in each of the last 30 minutes, "
                                                     "oldest first (the last element is the most recent minute).",
         "type": "vector", "tensor": "window", "length": WINDOW, "unit": "requests/min", "min": 0, "max": RATE_MAX},
        {"name": "hourOfDay", "description": "Local hour of day of the most recent minute, in [0, 24), may be "
                                             "fractional.",
         "type": "float", "tensor": "hour", "unit": "h", "min": 0, "max": 24, "maxExclusive": True},
    ]
    outputs = [
        {"name": "score", "description": "Anomaly score: mean squared reconstruction error of the normalised window; "
                                         "higher = more anomalous (see metrics.suggestedThreshold).",
         "kind": "value", "tensor": "score"},
        {"name": "embedding", "description": "The autoencoder's 8-wide bottleneck: a compact description of the "
                                             "window's shape, for clustering or similarity search.",
         "kind": "vector", "tensor": "embedding", "length": 8},
    ]
    man = manifest(
        name, "Anomaly",
        "Small autoencoder scoring how unusual the last 30 minutes of a service's request rate look (spikes, drops, "
        "level shifts), given the hour of day; also returns the window's 8-wide embedding.",
        f"torch {torch.__version__}", "autoencoder",
        {"inputs": [tensor("window", "float32", WINDOW), tensor("hour", "float32", 1)],
         "outputs": [tensor("score", "float32"), tensor("embedding", "float32", 8)]},
        features, outputs, met, default=True)
    onnx_bytes = torch_export(model, (torch.zeros(1, WINDOW), torch.zeros(1, 1)), ["window", "hour"],
                              ["score", "embedding"])
    out = write_model_folder(name, onnx_bytes, man, "torch", cases)
    return out, met


def write_anomaly_examples():
    w, h, kind = draw_windows(np.random.default_rng(ANOMALY_SAMPLE_SEED), N_ANOMALY_SAMPLES, 0.2)
    rows = [anomaly_feature_dict(w[i], h[i, 0], rounded=True) for i in range(N_ANOMALY_SAMPLES)]
    marked = ", ".join(f"win-{i + 1:03d} {ANOMALY_KINDS[k]}" for i, k in enumerate(kind) if k)
    return write_examples(
        "anomaly.examples.json", "Anomaly",
        f"{N_ANOMALY_SAMPLES} traffic windows from the training generator with another seed ({ANOMALY_SAMPLE_SEED}); "
        f"injected anomalies: {marked}.",
        rows, "win", 3), int(np.sum(kind > 0))


# ----------------------------------------------------------------------------------------------------------------
# Data: Text (product reviews)
# ----------------------------------------------------------------------------------------------------------------

TEXT_SEED = 46
N_TEXT_TRAIN = 16_000
N_TEXT_TEST = 4_000
MAX_TOKENS = 128
VOCAB_SIZE = 1200
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))
MAX_INPUT_CHARS_PER_WORD = 100
SENTIMENTS = ["NEGATIVE", "NEUTRAL", "POSITIVE"]
SENTIMENT_DESCRIPTIONS = {"NEGATIVE": "The reviewer is unhappy with the product.",
                          "NEUTRAL": "Mixed, lukewarm or purely factual.",
                          "POSITIVE": "The reviewer is happy with the product."}
NEUTRAL_BAND = 0.45  # a review's score in [-0.45, 0.45] is NEUTRAL
LABEL_NOISE = 0.2    # the label is cut from score + N(0, 0.2)
BERT_SIZE = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}

# topic, product nouns, parts (the things an opinion is about), sentences only this topic's reviews have
REVIEW_TOPICS = [
    ("headphones", ["headphones", "headset", "earbuds", "wireless earbuds"],
     ["sound", "bass", "microphone", "noise cancelling", "bluetooth connection", "battery", "ear cushions", "cable"],
     ["I use it on my commute.", "I wear them at the gym.", "I listen to podcasts at night.",
      "I mostly use them for calls."]),
    ("keyboard", ["keyboard", "mechanical keyboard", "wireless keyboard"],
     ["keys", "keycaps", "switches", "spacebar", "backlight", "software", "cable", "battery"],
     ["I type on it all day.", "I use it at the office.", "It has a quiet mode for meetings."]),
    ("coffee", ["coffee maker", "espresso machine", "brewer"],
     ["crema", "carafe", "water tank", "milk frother", "buttons", "timer", "coffee", "filter"],
     ["It has a café mode for lattes.", "I make flat whites every morning.", "It even does a crème brûlée latte.",
      "I use it in the kitchen."]),
    ("lamp", ["desk lamp", "reading light", "lamp"],
     ["brightness", "dimmer", "colour temperature", "base", "switch", "arm", "shade", "cable"],
     ["I read with it at night.", "It sits on my desk at the office.", "It has a night mode."]),
    ("shoes", ["running shoes", "sneakers", "trainers"],
     ["sole", "laces", "heel", "arch support", "cushioning", "fit", "sizing", "fabric"],
     ["I run in them three times a week.", "I wear them at the gym.", "I bought a size up."]),
    ("case", ["phone case", "case", "cover"],
     ["grip", "edges", "corners", "camera cutout", "clip", "finish", "buttons", "material"],
     ["It fits my phone.", "I dropped my phone twice.", "I use it with a screen protector."]),
    ("backpack", ["backpack", "daypack", "bag"],
     ["zippers", "straps", "pockets", "buckles", "laptop sleeve", "fabric", "stitching", "material"],
     ["I take it on my commute.", "I use it for travel.", "It holds my laptop."]),
    ("blender", ["blender", "food processor", "mixer"],
     ["motor", "blades", "jar", "lid", "speed settings", "base", "buttons", "seal"],
     ["I make smoothies every morning.", "I use it in the kitchen.", "I mostly make soups with it."]),
]
TOPIC_NAMES = [t[0] for t in REVIEW_TOPICS]

# polarity of an adjective, in [-1, 1]
ADJECTIVES = {
    "excellent": 1.0, "amazing": 1.0, "fantastic": 1.0, "perfect": 1.0, "superb": 1.0, "brilliant": 0.9,
    "wonderful": 0.9, "awesome": 0.9, "great": 0.8, "impressive": 0.8,
    "good": 0.6, "lovely": 0.6, "nice": 0.5, "solid": 0.5, "sturdy": 0.5, "comfortable": 0.5, "reliable": 0.5,
    "durable": 0.5, "pleasant": 0.5, "smooth": 0.4, "decent": 0.3,
    "okay": 0.1, "fine": 0.1, "adequate": 0.0, "acceptable": 0.0, "average": 0.0, "standard": 0.0, "normal": 0.0,
    "ordinary": -0.1, "so-so": -0.1, "mediocre": -0.4,
    "cheap": -0.5, "noisy": -0.5, "clunky": -0.5, "weak": -0.5, "fragile": -0.5, "flimsy": -0.6,
    "uncomfortable": -0.6, "unreliable": -0.6, "annoying": -0.6, "disappointing": -0.7, "poor": -0.7,
    "bad": -0.8, "faulty": -0.9, "terrible": -1.0, "awful": -1.0, "horrible": -1.0, "useless": -1.0,
    "broken": -1.0, "defective": -1.0,
}
# multiplier of the adjective's polarity ("" = none)
INTENSIFIERS = {"very": 1.4, "really": 1.4, "extremely": 1.7, "incredibly": 1.7, "absolutely": 1.6, "truly": 1.4,
                "remarkably": 1.5, "super": 1.5, "so": 1.3, "quite": 1.15,
                "slightly": 0.5, "a bit": 0.55, "a little": 0.5, "somewhat": 0.6, "fairly": 0.75, "rather": 0.8}
NEGATION = -0.5  # "not good" = -0.5 * good: a negated opinion flips and softens
VERBS = {"love": 1.0, "adore": 1.0, "enjoy": 0.7, "like": 0.6, "dislike": -0.6, "hate": -1.0, "can't stand": -1.0}
VERB_NEGATIONS = ["do not", "don't", "didn't"]
VERB_ADVERBS = {"really": 1.4, "absolutely": 1.6, "truly": 1.4, "honestly": 1.0}
REVIEW_PHRASES = {
    "five stars": 1.0, "four stars": 0.6, "three stars": 0.0, "two stars": -0.6, "one star": -1.0,
    "worth every penny": 1.0, "highly recommended": 1.0, "exceeded my expectations": 1.0, "would buy again": 0.8,
    "best purchase this year": 1.0, "does what it says": 0.3, "about what you would expect": 0.0,
    "no complaints, no praise": 0.0, "could be better, could be worse": 0.0, "nothing special": -0.2,
    "not worth the money": -0.8, "waste of money": -1.0, "do not buy": -1.0, "never again": -1.0,
    "worst purchase ever": -1.0, "fell apart after a month": -1.0, "stopped working after a week": -1.0,
    "sent it back the next day": -1.0, "i returned it": -0.8,
}
EMOJIS = {"❤": 1.0, "👍": 0.8, "🔥": 0.8, "😀": 0.6, "😐": 0.0, "🤷": 0.0, "😞": -0.6, "👎": -0.8, "😡": -1.0}
EMOJI_WEIGHT = 0.5  # an emoji counts half an opinion
CONTRAST_WEIGHTS = (0.35, 1.0)  # "A, but B": B decides
ENDINGS = [".", "!", "!!", "!!!", "...", "?!", "?"]
ENDING_P = [0.5, 0.2, 0.07, 0.05, 0.1, 0.05, 0.03]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
RELATIONS = ["wife", "husband", "partner", "mum", "dad", "daughter", "son", "sister", "brother", "grandmother",
             "friend", "roommate", "neighbour", "boss", "colleague"]
COLOURS = ["black", "white", "grey", "silver", "red", "blue", "green", "pink", "navy", "beige"]
LANGUAGES = ["english", "french", "german", "spanish", "italian"]
USES = ["every morning", "every day", "twice a week", "on weekends", "at night", "at work", "at home"]
BRAND_SYLLABLES = ["ar", "ax", "bel", "bra", "cor", "dor", "fi", "ga", "ko", "kra", "lu", "ly", "mi", "mo", "nex",
                   "on", "pix", "ro", "sol", "sty", "tek", "tri", "ul", "vex", "vo", "zen", "qua", "ji", "wu", "hy"]
MODEL_PREFIXES = ["XR", "ZX", "Go", "Pro", "Q", "M", "S", "Mk"]


def is_plural(noun):
    return noun.endswith("s") and not noun.endswith("ss")


def draw_brands(rng, n=40):
    """Brand names from 2-3 syllables ('Belaxtek'); one in ten with an accented vowel ('Coràx')."""
    brands = []
    while len(brands) < n:
        name = "".join(BRAND_SYLLABLES[i] for i in rng.integers(0, len(BRAND_SYLLABLES), rng.integers(2, 4)))
        if rng.random() < 0.1:
            name = name.replace("a", "à", 1).replace("e", "é", 1)
        if name.capitalize() not in brands:
            brands.append(name.capitalize())
    return brands


class ReviewWriter:
    """Draws one synthetic review at a time: sentences about one product, each an opinion with a score or a filler
    sentence without one. See the module docstring for the scoring rules."""

    def __init__(self, rng):
        self.rng = rng
        self.brands = draw_brands(rng)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def chance(self, p):
        return self.rng.random() < p

    def model_name(self):
        return f"{self.pick(MODEL_PREFIXES)}{self.pick(['', ' ', '-'])}{self.rng.integers(100, 1000)}"

    def count(self, lo, hi):
        n = int(self.rng.integers(lo, hi + 1))
        return NUMBER_WORDS[n - 2] if 2 <= n <= 10 and self.chance(0.4) else str(n)

    def price(self):
        dollars = int(np.exp(self.rng.uniform(math.log(15), math.log(320))))
        return f"${dollars}.{self.rng.integers(0, 100):02d}" if self.chance(0.5) else f"${dollars}"

    def filler(self, topic):
        _, nouns, _, extra = REVIEW_TOPICS[topic]
        k = int(self.rng.integers(15))
        day = self.pick(WEEKDAYS)
        return [
            lambda: f"It arrived on {day.capitalize() if self.chance(0.5) else day}.",
            lambda: f"Shipping took {self.count(2, 10)} days.",
            lambda: f"I paid {self.price()} for it.",
            lambda: f"I bought this for my {self.pick(RELATIONS)}.",
            lambda: f"My {self.pick(RELATIONS)} recommended the {self.pick(self.brands)} {self.model_name()}.",
            lambda: f"I ordered it from the {self.pick(self.brands)} store.",
            lambda: f"I got the {self.pick(COLOURS)} one.",
            lambda: f"The {self.pick(self.brands)} {self.pick(nouns)} came in a {self.pick(COLOURS)} box.",
            lambda: f"This is the {self.model_name()} version.",
            lambda: f"I have had it for {self.count(2, 12)} {self.pick(['days', 'weeks', 'months'])}.",
            lambda: f"I use it {self.pick(USES)}.",
            lambda: f"It replaced my old {self.pick(nouns)}.",
            lambda: f"The instructions were in {self.pick(LANGUAGES)}.",
            lambda: f"I compared it with the {self.pick(self.brands)} one.",
            lambda: self.pick(extra),
        ][k]()

    def clause_candidate(self, topic):
        """-> (text, score): one opinion, lower case."""
        _, nouns, parts, _ = REVIEW_TOPICS[topic]
        r = self.rng.random()
        if r < 0.45:  # the sound is not very good / this keyboard feels cheap / they look amazing
            s = self.rng.random()
            if s < 0.6:
                noun = self.pick(parts)
                subject, plural = f"the {noun}", is_plural(noun)
            elif s < 0.8:
                noun = self.pick(nouns)
                subject, plural = (f"these {noun}", True) if is_plural(noun) else (f"this {noun}", False)
            else:
                subject, plural = ("they", True) if self.chance(0.4) else ("it", False)
            verb = self.pick(["is", "was", "seems", "looks", "feels"])
            if plural:
                verb = {"is": "are", "was": "were"}.get(verb, verb[:-1])
            negated = self.chance(0.25)
            if negated and verb in ("is", "was", "are", "were"):
                verb = f"{verb} not" if self.chance(0.4) else f"{verb}n't"
            elif negated:
                aux, stem = ("do", verb) if plural else ("does", verb[:-1])
                verb = f"{aux} not {stem}" if self.chance(0.4) else f"{aux}n't {stem}"
            adj = self.pick(list(ADJECTIVES))
            intensifier = self.pick(list(INTENSIFIERS)) if self.chance(0.55) else ""
            score = ADJECTIVES[adj] * INTENSIFIERS.get(intensifier, 1.0) * (NEGATION if negated else 1.0)
            return " ".join(w for w in (subject, verb, intensifier, adj) if w), score
        if r < 0.55:  # really sturdy brewer
            adj = self.pick(list(ADJECTIVES))
            intensifier = self.pick(list(INTENSIFIERS)) if self.chance(0.4) else ""
            text = " ".join(w for w in (intensifier, adj, self.pick(nouns)) if w)
            return text, ADJECTIVES[adj] * INTENSIFIERS.get(intensifier, 1.0)
        if r < 0.65:  # terrible / not very good / not bad at all
            adj = self.pick(list(ADJECTIVES))
            intensifier = self.pick(list(INTENSIFIERS)) if self.chance(0.4) else ""
            negated = self.chance(0.35)
            text = " ".join(w for w in ("not" if negated else "", intensifier, adj) if w)
            if negated and self.chance(0.3):
                text += " at all"
            return text, ADJECTIVES[adj] * INTENSIFIERS.get(intensifier, 1.0) * (NEGATION if negated else 1.0)
        if r < 0.85:  # i really like the keys / i don't hate it
            verb = self.pick(list(VERBS))
            adverb = self.pick(list(VERB_ADVERBS)) if self.chance(0.4) else ""
            negated = verb != "can't stand" and self.chance(0.2)
            verb_text = f"{self.pick(VERB_NEGATIONS)} {verb}" if negated else verb
            s = self.rng.random()
            obj = "it" if s < 0.4 else f"the {self.pick(parts)}" if s < 0.8 else f"this {self.pick(nouns)}"
            score = VERBS[verb] * VERB_ADVERBS.get(adverb, 1.0) * (NEGATION if negated else 1.0)
            return " ".join(w for w in ("i", adverb, verb_text, obj) if w), score
        phrase = self.pick(list(REVIEW_PHRASES))
        return phrase, REVIEW_PHRASES[phrase]

    def clause(self, topic, target):
        """The candidate (of six) whose score is nearest the target: opinions lean towards the review's mood."""
        cands = [self.clause_candidate(topic) for _ in range(6)]
        return min(cands, key=lambda c: abs(c[1] - target))

    def opinion(self, topic, mood):
        """-> (sentence without its ending, [(score, weight)])."""
        r = self.rng.random()
        if r < 0.2:  # contrast: the first half is any opinion, the second leans to the mood and counts most
            a, sa = self.clause(topic, self.rng.normal(0, 0.8))
            b, sb = self.clause(topic, mood + self.rng.normal(0, 0.5))
            return f"{a}, but {b}", [(sa, CONTRAST_WEIGHTS[0]), (sb, CONTRAST_WEIGHTS[1])]
        a, sa = self.clause(topic, mood + self.rng.normal(0, 0.5))
        if r < 0.3:
            b, sb = self.clause(topic, mood + self.rng.normal(0, 0.5))
            return f"{a} and {b}", [(sa, 1.0), (sb, 1.0)]
        return a, [(sa, 1.0)]

    def review(self, topic, mood, n_sentences):
        """-> (text, noise-free score in about [-1.7, 1.7])."""
        sentences, scored = [], []
        for i in range(n_sentences):
            if self.chance(0.6) or (i == n_sentences - 1 and not scored):
                text, parts = self.opinion(topic, mood)
                scored += parts
                text = text[0].upper() + text[1:]
                if self.chance(0.7):
                    text = text.replace(" i ", " I ")
                text += ENDINGS[int(self.rng.choice(len(ENDINGS), p=ENDING_P))]
            else:
                text = self.filler(topic)
                if self.chance(0.15):
                    text = text[:-1] + ENDINGS[1 + int(self.rng.integers(len(ENDINGS) - 1))]
            if self.chance(0.08):
                text = text[0].lower() + text[1:]
            elif self.chance(0.02):
                text = text.upper()
            sentences.append(text)
        if self.chance(0.12):  # an emoji, the one of three that best fits the mood
            emoji = min((self.pick(list(EMOJIS)) for _ in range(3)), key=lambda e: abs(EMOJIS[e] - mood))
            scored.append((EMOJIS[emoji], EMOJI_WEIGHT))
            if emoji == "❤" and self.chance(0.5):
                emoji += "\ufe0f"
            if self.chance(0.5):
                sentences[-1] += " " + emoji
            else:
                k = int(self.rng.integers(len(sentences)))
                sentences[k] = sentences[k].rstrip(".!?") + " " + emoji
        text = " ".join(sentences)
        if self.chance(0.03):
            text = text.upper()
        score = sum(s * w for s, w in scored) / sum(w for _, w in scored)
        return text, score


def sentiment_label(score):
    return np.where(score < -NEUTRAL_BAND, 0, np.where(score > NEUTRAL_BAND, 2, 1)).astype(np.int64)


def make_review_dataset():
    """-> train and held-out dicts of texts, labels (noisy), topics and noise-free scores."""
    rng = np.random.default_rng(TEXT_SEED)
    writer = ReviewWriter(rng)
    n = N_TEXT_TRAIN + N_TEXT_TEST
    topic = rng.integers(0, len(REVIEW_TOPICS), n)
    leaning = rng.integers(0, 3, n) - 1  # the reviewer's mood: negative, mixed or positive, then how strongly
    mood = np.where(leaning == 0, rng.uniform(-0.25, 0.25, n), leaning * rng.uniform(0.75, 1.6, n))
    n_sentences = np.clip(np.round(np.exp(rng.normal(math.log(6), 0.72, n))), 1, 18).astype(int)
    texts, scores = [], []
    for i in range(n):
        text, score = writer.review(int(topic[i]), float(mood[i]), int(n_sentences[i]))
        texts.append(text)
        scores.append(score)
    scores = np.array(scores)
    label = sentiment_label(scores + rng.normal(0, LABEL_NOISE, n))
    tr, te = split(n, rng)
    pick = lambda idx: {"text": [texts[i] for i in idx], "label": label[idx], "topic": topic[idx].astype(np.int64),
                        "score": scores[idx]}
    return pick(tr), pick(te)


# ----------------------------------------------------------------------------------------------------------------
# Text: the WordPiece tokenizer (BERT uncased), as @huggingface/tokenizers runs the tokenizer.json written below
# ----------------------------------------------------------------------------------------------------------------

# JavaScript's \s after BertNormalizer's clean_text (which has removed the control and format characters among them)
JS_SPACE = set("\t\n\v\f\r \u2028\u2029\ufeff")


def is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def is_space(c):
    return c in JS_SPACE or unicodedata.category(c) == "Zs"


def is_punctuation(c):
    cp = ord(c)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or unicodedata.category(c)[0] == "P"


def bert_normalize(text):
    """BertNormalizer(clean_text, handle_chinese_chars, lowercase, strip_accents=None -> as lowercase): drop NUL,
    U+FFFD and control/format/private/surrogate characters (tab, newline and carriage return are spaces), every
    space becomes ' ', CJK ideographs get spaces around them, lowercase, NFD and drop the nonspacing marks."""
    out = []
    for c in text:
        if c in "\0\ufffd" or (c not in "\t\n\r" and unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs")):
            continue
        if is_space(c):
            out.append(" ")
        elif is_chinese_char(ord(c)):
            out.append(f" {c} ")
        else:
            out.append(c)
    text = unicodedata.normalize("NFD", "".join(out).lower())
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def bert_pre_tokenize(text):
    """BertPreTokenizer: split on spaces; every punctuation character (Unicode P* and ASCII symbols) is a word."""
    words, word = [], []
    for c in text:
        if is_space(c) or is_punctuation(c):
            if word:
                words.append("".join(word))
                word = []
            if not is_space(c):
                words.append(c)
        else:
            word.append(c)
    if word:
        words.append("".join(word))
    return words


class WordPieceTokenizer:
    def __init__(self, vocab):
        self.vocab = vocab
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.cache = {}

    def word_ids(self, word):
        """Greedy longest-match WordPiece with ## continuations; a word that cannot be covered (or is longer than
        100 characters) is one [UNK]."""
        if word in self.cache:
            return self.cache[word]
        ids, start = [], 0
        if len(word) > MAX_INPUT_CHARS_PER_WORD:
            ids = [UNK_ID]
        while start < len(word) and ids != [UNK_ID]:
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    ids.append(self.ids[piece])
                    start = end
                    break
            else:
                ids = [UNK_ID]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        """-> ids with [CLS] and [SEP], not truncated. The special tokens are matched in the raw text first
        (exactly, case-sensitive, longest first), as added tokens with normalized: false are."""
        ids = [CLS_ID]
        for section in split_special_tokens(text):
            if section in SPECIAL_TOKENS:
                ids.append(SPECIAL_TOKENS.index(section))
            else:
                for word in bert_pre_tokenize(bert_normalize(section)):
                    ids += self.word_ids(word)
        return ids + [SEP_ID]


def split_special_tokens(text):
    out, start, i = [], 0, 0
    while i < len(text):
        match = max((t for t in SPECIAL_TOKENS if text.startswith(t, i)), key=len, default=None)
        if match:
            if i > start:
                out.append(text[start:i])
            out.append(match)
            i += len(match)
            start = i
        else:
            i += 1
    if start < len(text):
        out.append(text[start:])
    return out


def truncate_ids(ids, n=MAX_TOKENS):
    """truncation=True, max_length=128: [CLS] + the first 126 tokens + [SEP]."""
    return ids if len(ids) <= n else ids[:n - 1] + [SEP_ID]


def train_wordpiece(texts, size=VOCAB_SIZE):
    """The WordPiece vocabulary, trained as Hugging Face's WordPieceTrainer does (byte-pair merges over the words
    with ## continuations): the special tokens, every character of the training words and its ## form, then the
    most frequent adjacent pair of pieces merged, again and again (ties: the smallest pair), until `size` tokens."""
    counts = {}
    for text in texts:
        for word in bert_pre_tokenize(bert_normalize(text)):
            counts[word] = counts.get(word, 0) + 1
    words = sorted(counts)
    freq = [counts[w] for w in words]
    alphabet = sorted({c for w in words for c in w})
    vocab = SPECIAL_TOKENS + alphabet + ["##" + c for c in alphabet]
    known = set(vocab)
    pieces = [[w[0]] + ["##" + c for c in w[1:]] for w in words]
    pair_count, where = {}, {}

    def count_pairs(k, sign):
        p = pieces[k]
        for a, b in zip(p, p[1:]):
            pair_count[(a, b)] = pair_count.get((a, b), 0) + sign * freq[k]
            if sign > 0:
                where.setdefault((a, b), set()).add(k)

    for k in range(len(words)):
        count_pairs(k, 1)
    while len(vocab) < size and pair_count:
        best = min(pair_count, key=lambda p: (-pair_count[p], p))
        a, b = best
        merged = a + b[2:]
        for k in sorted(where.pop(best)):
            count_pairs(k, -1)
            p, out, i = pieces[k], [], 0
            while i < len(p):
                if i + 1 < len(p) and p[i] == a and p[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(p[i])
                    i += 1
            pieces[k] = out
            count_pairs(k, 1)
        for p in [p for p, c in pair_count.items() if c <= 0]:
            del pair_count[p]
            where.pop(p, None)
        if merged not in known:
            known.add(merged)
            vocab.append(merged)
    assert len(vocab) == size, len(vocab)
    return vocab


def tokenizer_json(vocab):
    """tokenizer.json (Hugging Face tokenizers format) for the vocabulary."""
    special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
                "special": True} for i, t in enumerate(SPECIAL_TOKENS)]
    cls, sep = ({"SpecialToken": {"id": t, "type_id": 0}} for t in ("[CLS]", "[SEP]"))
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": special,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [cls, {"Sequence": {"id": "A", "type_id": 0}}, sep],
            "pair": [cls, {"Sequence": {"id": "A", "type_id": 0}}, sep, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [SPECIAL_TOKENS.index(t)], "tokens": [t]}
                               for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": MAX_INPUT_CHARS_PER_WORD, "vocab": {t: i for i, t in enumerate(vocab)}},
    }


def tokenizer_config():
    return {
        "added_tokens_decoder": {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True} for i, t in enumerate(SPECIAL_TOKENS)},
        "clean_up_tokenization_spaces": True,
        "cls_token": "[CLS]",
        "do_basic_tokenize": True,
        "do_lower_case": True,
        "mask_token": "[MASK]",
        "model_max_length": MAX_TOKENS,
        "never_split": None,
        "pad_token": "[PAD]",
        "sep_token": "[SEP]",
        "strip_accents": None,
        "tokenize_chinese_chars": True,
        "tokenizer_class": "BertTokenizer",
        "unk_token": "[UNK]",
    }


SPECIAL_TOKENS_MAP = {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]",
                      "unk_token": "[UNK]"}


def bert_config(classifier):
    """config.json as transformers writes it for BertForSequenceClassification / BertModel."""
    c = {"architectures": ["BertForSequenceClassification" if classifier else "BertModel"],
         "attention_probs_dropout_prob": 0.0, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
         "hidden_size": BERT_SIZE["hidden_size"]}
    if classifier:
        c["id2label"] = {str(i): s for i, s in enumerate(SENTIMENTS)}
    c["intermediate_size"] = BERT_SIZE["intermediate_size"]
    if classifier:
        c["label2id"] = {s: i for i, s in enumerate(SENTIMENTS)}
    c.update({"layer_norm_eps": 1e-12, "max_position_embeddings": MAX_TOKENS, "model_type": "bert",
              "num_attention_heads": BERT_SIZE["num_attention_heads"],
              "num_hidden_layers": BERT_SIZE["num_hidden_layers"], "pad_token_id": PAD_ID,
              "position_embedding_type": "absolute"})
    if classifier:
        c["problem_type"] = "single_label_classification"
    c.update({"torch_dtype": "float32", "type_vocab_size": 0, "use_cache": True, "vocab_size": VOCAB_SIZE})
    return c


# ----------------------------------------------------------------------------------------------------------------
# Text: a small BERT-style encoder (torch)
# ----------------------------------------------------------------------------------------------------------------

class EncoderLayer(torch.nn.Module):
    """Post-norm transformer layer as BERT's: self-attention, add & norm, GELU feed-forward, add & norm."""

    def __init__(self, hidden, heads, intermediate):
        super().__init__()
        self.heads, self.width = heads, hidden // heads
        self.query = torch.nn.Linear(hidden, hidden)
        self.key = torch.nn.Linear(hidden, hidden)
        self.value = torch.nn.Linear(hidden, hidden)
        self.attention_output = torch.nn.Linear(hidden, hidden)
        self.attention_norm = torch.nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = torch.nn.Linear(hidden, intermediate)
        self.output = torch.nn.Linear(intermediate, hidden)
        self.output_norm = torch.nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, mask_bias):
        batch, seq = x.shape[0], x.shape[1]
        split_heads = lambda t: t.reshape(batch, seq, self.heads, self.width).transpose(1, 2)
        q, k, v = split_heads(self.query(x)), split_heads(self.key(x)), split_heads(self.value(x))
        attention = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(self.width) + mask_bias, dim=-1)
        context = (attention @ v).transpose(1, 2).reshape(batch, seq, self.heads * self.width)
        x = self.attention_norm(x + self.attention_output(context))
        return self.output_norm(x + self.output(torch.nn.functional.gelu(self.intermediate(x))))


class ReviewEncoder(torch.nn.Module):
    """Token + learned absolute position embeddings (no token types), LayerNorm, then the layers. Padding keys get
    -10000 added to their attention scores, so (after the softmax, exp(-10000) = 0 in float32) they add nothing:
    padding does not change the real tokens' states."""

    def __init__(self, vocab_size=VOCAB_SIZE, hidden=BERT_SIZE["hidden_size"], layers=BERT_SIZE["num_hidden_layers"],
                 heads=BERT_SIZE["num_attention_heads"], intermediate=BERT_SIZE["intermediate_size"]):
        super().__init__()
        self.register_buffer("position_ids", torch.arange(MAX_TOKENS)[None, :])
        self.word_embeddings = torch.nn.Embedding(vocab_size, hidden, padding_idx=PAD_ID)
        self.position_embeddings = torch.nn.Embedding(MAX_TOKENS, hidden)
        self.embedding_norm = torch.nn.LayerNorm(hidden, eps=1e-12)
        self.layers = torch.nn.ModuleList([EncoderLayer(hidden, heads, intermediate) for _ in range(layers)])

    def forward(self, input_ids, attention_mask):
        positions = self.position_ids[:, :input_ids.shape[1]]
        x = self.embedding_norm(self.word_embeddings(input_ids) + self.position_embeddings(positions))
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        for layer in self.layers:
            x = layer(x, mask_bias)
        return x


def mean_pool(hidden, attention_mask):
    m = attention_mask.to(hidden.dtype)[:, :, None]
    return (hidden * m).sum(dim=1) / m.sum(dim=1)


class ReviewClassifier(torch.nn.Module):
    """BertForSequenceClassification's head: tanh pooler over [CLS], then the 3 logits. The topic head (over the
    mean-pooled states) is trained alongside and not exported: it keeps the product in the embedding."""

    def __init__(self):
        super().__init__()
        hidden = BERT_SIZE["hidden_size"]
        self.encoder = ReviewEncoder()
        self.pooler = torch.nn.Linear(hidden, hidden)
        self.classifier = torch.nn.Linear(hidden, len(SENTIMENTS))
        self.topic = torch.nn.Linear(hidden, len(REVIEW_TOPICS))

    def forward(self, input_ids, attention_mask):
        return self.head(self.encoder(input_ids, attention_mask))

    def head(self, hidden):
        return self.classifier(torch.tanh(self.pooler(hidden[:, 0])))


class SentimentExport(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, input_ids, attention_mask):
        return self.net(input_ids, attention_mask)


class EmbeddingExport(torch.nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask):
        return self.encoder(input_ids, attention_mask)


def pad_batch(rows):
    """Rows of ids -> (input_ids, attention_mask) int64 [len(rows), longest], padded with [PAD] = 0."""
    n = max(len(r) for r in rows)
    ids = np.zeros((len(rows), n), np.int64)
    mask = np.zeros((len(rows), n), np.int64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
        mask[i, :len(r)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def length_batches(lengths, batch, gen):
    """Mini-batches of similar lengths (less padding): shuffle, sort within windows of 50 batches, shuffle batches."""
    perm = torch.randperm(len(lengths), generator=gen).numpy()
    out = []
    for w in range(0, len(perm), batch * 50):
        window = perm[w:w + batch * 50]
        window = window[np.argsort(lengths[window], kind="stable")]
        out += [window[i:i + batch] for i in range(0, len(window), batch)]
    order = torch.randperm(len(out), generator=gen).numpy()
    return [out[i] for i in order]


def train_review_model(ids, labels, topics, epochs, batch, lr, topic_weight):
    torch.manual_seed(TEXT_SEED)
    model = ReviewClassifier()
    lengths = np.array([len(r) for r in ids])
    y, t = torch.from_numpy(labels), torch.from_numpy(topics)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * len(length_batches(lengths, batch, torch.Generator().manual_seed(0)))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    gen = torch.Generator().manual_seed(TEXT_SEED)
    for epoch in range(epochs):
        total = correct = 0.0
        for idx in length_batches(lengths, batch, gen):
            input_ids, mask = pad_batch([ids[i] for i in idx])
            hidden = model.encoder(input_ids, mask)
            logits = model.head(hidden)
            loss = torch.nn.functional.cross_entropy(logits, y[idx])
            topic_loss = torch.nn.functional.cross_entropy(model.topic(mean_pool(hidden, mask)), t[idx])
            opt.zero_grad()
            (loss + topic_weight * topic_loss).backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            correct += (logits.argmax(1) == y[idx]).sum().item()
        if epoch % 4 == 0 or epoch == epochs - 1:
            print(f"  epoch {epoch:3d}  train cross-entropy {total / len(ids):.4f}  accuracy {correct / len(ids):.4f}",
                  flush=True)
    return model.eval()


def review_forward(model, rows, batch=256):
    """-> (logits float32 [n, 3], mean-pooled embeddings float32 [n, 32], not normalised) for rows of ids."""
    order = np.argsort([len(r) for r in rows], kind="stable")
    logits = np.zeros((len(rows), len(SENTIMENTS)), np.float32)
    pooled = np.zeros((len(rows), BERT_SIZE["hidden_size"]), np.float32)
    with torch.no_grad():
        for i in range(0, len(rows), batch):
            idx = order[i:i + batch]
            input_ids, mask = pad_batch([rows[k] for k in idx])
            hidden = model.encoder(input_ids, mask)
            logits[idx] = model.head(hidden).numpy()
            pooled[idx] = mean_pool(hidden, mask).numpy()
    return logits, pooled


def l2_normalize(x):
    x = x.astype(np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def token_stats(lengths):
    return {"median": int(np.median(lengths)), "p95": int(round(float(np.percentile(lengths, 95)))),
            "max": int(np.max(lengths)), "over128Share": round(float(np.mean(lengths > MAX_TOKENS)), 3),
            "note": "token counts of the held-out reviews, [CLS] and [SEP] included, before truncation to 128"}


def sentiment_metrics(y_true, prob, y_train, score, lengths):
    pred = prob.argmax(axis=1)
    prior = np.bincount(y_train, minlength=3) / len(y_train)
    ll = lambda p: float(-np.mean(np.log(np.clip(p[np.arange(len(y_true)), y_true], 1e-15, 1))))
    f1 = []
    for c in range(3):
        tp = np.sum((pred == c) & (y_true == c))
        f1.append(2 * tp / max(1, np.sum(pred == c) + np.sum(y_true == c)))
    return {
        "heldOutReviews": int(len(y_true)),
        "trainReviews": int(len(y_train)),
        "classShare": {c: round(float(np.mean(y_true == i)), 4) for i, c in enumerate(SENTIMENTS)},
        "accuracy": round(float(np.mean(pred == y_true)), 4),
        "accuracyByLength": {
            "upTo32Tokens": round(float(np.mean((pred == y_true)[lengths <= 32])), 4),
            "over64Tokens": round(float(np.mean((pred == y_true)[lengths > 64])), 4),
        },
        "macroF1": round(float(np.mean(f1)), 4),
        "logLoss": round(ll(prob), 4),
        "baseline": {
            "note": f"majority class / training class shares, and the generator's noise-free score cut at "
                    f"+-{NEUTRAL_BAND} (the labels add N(0, {LABEL_NOISE}) noise to it, so no model can be right "
                    f"every time)",
            "majorityAccuracy": round(float(np.mean(y_true == np.argmax(prior))), 4),
            "priorLogLoss": round(ll(np.tile(prior, (len(y_true), 1))), 4),
            "generatorAccuracy": round(float(np.mean(sentiment_label(score) == y_true)), 4),
        },
        "tokens": token_stats(lengths),
    }


def embedding_metrics(emb_te, emb_tr, te, tr, lengths):
    """Nearest training review by cosine for each held-out review; mean cosine over held-out pairs."""
    nearest = np.zeros(len(emb_te), np.int64)
    for i in range(0, len(emb_te), 500):
        nearest[i:i + 500] = np.argmax(emb_te[i:i + 500] @ emb_tr.T, axis=1)
    cos = emb_te @ emb_te.T
    same = te["topic"][:, None] == te["topic"][None, :]
    off_diagonal = ~np.eye(len(emb_te), dtype=bool)
    return {
        "heldOutReviews": int(len(emb_te)),
        "trainReviews": int(len(emb_tr)),
        "nearestNeighbourTopicAccuracy": round(float(np.mean(tr["topic"][nearest] == te["topic"])), 4),
        "nearestNeighbourSentimentAgreement": round(float(np.mean(tr["label"][nearest] == te["label"])), 4),
        "meanCosineSameTopic": round(float(cos[same & off_diagonal].mean()), 4),
        "meanCosineOtherTopic": round(float(cos[~same].mean()), 4),
        "note": "embedding = mean of last_hidden_state over the attention mask, L2-normalised; nearest neighbour by "
                f"cosine among the training reviews; {len(REVIEW_TOPICS)} product topics, chance "
                f"{1 / len(REVIEW_TOPICS):g}",
        "tokens": token_stats(lengths),
    }


# ----------------------------------------------------------------------------------------------------------------
# Text: reference cases, manifests, folders
# ----------------------------------------------------------------------------------------------------------------

# (text, note): the edge cases of every reference.json, then held-out reviews are added (see review_reference_texts)
REVIEW_EDGE_CASES = [
    ("", "empty text: [CLS] [SEP] only"),
    ("great", "one word"),
    ("Terrible.", None),
    ("okay", None),
    ("not good", "negation"),
    ("Not bad at all!", "negated negative word"),
    ("Caf\u00e9 GREAT!!", "accent stripped and lowercased: cafe great ! !"),
    ("The sound is not very good, but the battery is excellent.", "contrast"),
    ("I would never recommend these headphones.", None),
    ("Absolutely PERFECT!!! \U0001f44d", "an emoji in the vocabulary"),
    ("Worst purchase ever \U0001f621", None),
    ("Flimsy zippers... broken after 2 weeks?!", "punctuation runs: one token per character"),
    ("The Zorbulatronic quadfluxer works fine", "unknown words split into ## pieces"),
    ("\u8fd9\u4e2a\u8033\u673a\u5f88\u597d", "CJK ideographs: one word each, none in the vocabulary: six [UNK]"),
    ("Great \u8033\u673a!", "CJK next to Latin text"),
    ("\u2764\ufe0f love it",
     "U+2764 U+FE0F: the variation selector is a nonspacing mark and is stripped; \u2764 is known"),
    ("\U0001f916\U0001f916\U0001f916 robot vibes", "an emoji outside the vocabulary: the whole word is one [UNK]"),
    ("!!!???...,,,", "punctuation only"),
    (" \t\n\r\n  ", "whitespace only: [CLS] [SEP]"),
    ("The\u00a0lamp\u2003is\u3000bright", "no-break, em and ideographic spaces split words"),
    ("zero\u200bwidth space, soft\u00adhyphen", "U+200B and U+00AD (format characters) are removed"),
    ("bell\x07 and\x00 nul\ufffd gone", "a control character, NUL and U+FFFD are removed"),
    ("\u0130stanbul \u00c5NGSTR\u00d6M \u00d8rsted Stra\u00dfe",
     "\u0130 \u00c5 \u00d6 decompose and lose their marks; \u00d8 and \u00df do not decompose"),
    ("\uff26\uff35\uff2c\uff2c\uff37\uff29\uff24\uff34\uff28 letters are great",
     "fullwidth letters: NFD keeps them (only NFKD would not)"),
    ("De\u0301ja\u0300 vu, d\u00e9j\u00e0 vu", "decomposed and precomposed accents give the same ids"),
    ("Is this [MASK] good?", "a special token in the text is matched before normalisation"),
    ("good[SEP]bad [cls] [Mask]", "special tokens match exactly (case-sensitive): [cls] and [Mask] are text"),
    ("S" + "o" * 110 + " good", "a word over max_input_chars_per_word (100) is one [UNK]"),
    ("\U0001f44d" * 60, "one 60-character word (120 UTF-16 code units): under the 100-character limit"),
    ("$40 for this? 100% worth it.", None),
    ("Don't buy it, it's a waste of money", "apostrophes split words"),
    ("I can't stand the noise", None),
    ("It's okay, I guess.", None),
    ("Wasn't great, wasn't terrible.", None),
    ("SUPER comfortable and really sturdy", None),
    ("the", None),
    ("headphones", None),
    ("I have had it for six weeks. It arrived on Monday.", "filler only"),
    (" ".join(["great"] * (MAX_TOKENS - 2)), "exactly 128 tokens: not truncated"),
    (" ".join(["great"] * (MAX_TOKENS - 1)), "129 tokens: truncated to 128"),
]


def check_edge_cases(tok):
    """What the notes of the edge cases say, for this vocabulary."""
    enc = lambda t: tok.encode(t)[1:-1]
    assert enc("") == [] and enc(" \t\n\r\n  ") == []
    assert enc("\u8fd9\u4e2a\u8033\u673a\u5f88\u597d") == [UNK_ID] * 6
    assert enc("\u2764\ufe0f love it")[0] == tok.ids["\u2764"] and enc("\U0001f44d")[0] == tok.ids["\U0001f44d"]
    assert enc("\U0001f916\U0001f916\U0001f916 robot vibes")[0] == UNK_ID
    assert len(enc("zorbulatronic")) > 1 and UNK_ID not in enc("The Zorbulatronic quadfluxer works fine")
    assert enc("\uff26\uff35\uff2c\uff2c\uff37\uff29\uff24\uff34\uff28")[0] == UNK_ID
    assert enc("De\u0301ja\u0300 vu") == enc("d\u00e9j\u00e0 vu") and enc("Caf\u00e9") == enc("cafe")
    assert enc("Is this [MASK] good?")[2] == MASK_ID and SEP_ID in enc("good[SEP]bad [cls] [Mask]")
    assert enc("S" + "o" * 110) == [UNK_ID] and len(enc("\U0001f44d" * 60)) == 60
    assert len(tok.encode(" ".join(["great"] * (MAX_TOKENS - 2)))) == MAX_TOKENS


def review_reference_texts(te, lengths):
    """64 (text, note) cases: the edge cases, the longest held-out review, three long ones in one text, and held-out
    reviews of 8 to 128 tokens (the first of each of 22 evenly spaced lengths)."""
    cases = list(REVIEW_EDGE_CASES)
    by_length = np.argsort(-lengths, kind="stable")
    cases.append((te["text"][by_length[0]], "the longest held-out review: truncated"))
    cases.append((" ".join(te["text"][i] for i in by_length[1:4]), "three long reviews in one text: truncated"))
    targets = np.round(np.linspace(8, MAX_TOKENS, N_REFERENCE - len(cases))).astype(int)
    used = set()
    for n in targets:
        i = min((i for i in range(len(lengths)) if i not in used), key=lambda i: (abs(int(lengths[i]) - n), i))
        used.add(i)
        cases.append((te["text"][i], None))
    assert len(cases) == N_REFERENCE
    return cases


def write_text_reference(path, cases):
    """One case per line, non-ASCII characters as they are."""
    head = {"source": "torch",
            "tokenizer": "train.py's WordPiece: BERT uncased normalisation and pre-tokenisation, greedy longest-match "
                         "WordPiece, [CLS] $A [SEP]; truncatedIds = [CLS] + the first 126 tokens + [SEP] "
                         "(truncation=True, max_length=128); outputs are for the ids the model is given"}
    lines = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases]
    with open(path, "w") as fh:
        fh.write("{\n" + "".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n" for k, v in head.items())
                 + ' "cases": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n")


def text_manifest(name, task, description, outputs, met):
    feature = {"name": "text", "type": "text", "tensor": "input_ids",
               "description": "The review, any length: tokenized with the folder's tokenizer.json (BERT uncased "
                              f"WordPiece, {VOCAB_SIZE} tokens), at most {MAX_TOKENS} tokens with [CLS] and [SEP]; "
                              "attention_mask is 1 on its tokens."}
    return {"name": name, "version": "1.0.0", "task": task, "default": True, "description": description,
            "framework": f"torch {torch.__version__}", "kind": "transformer", "features": [feature],
            "outputs": outputs, "metrics": met,
            "provenance": {"script": "models/train.py", "seed": TEXT_SEED, "trainedWith": versions(), "opset": OPSET,
                           "tokenizer": "WordPiece trained by models/train.py on the training reviews",
                           "createdBy": "predictql models/train.py"}}


def write_text_folder(name, onnx_bytes, man, cases, tok_json, config):
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.onnx"), "wb") as fh:
        fh.write(onnx_bytes)
    write_json(os.path.join(out, "manifest.json"), man)
    write_text_reference(os.path.join(out, "reference.json"), cases)
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "special_tokens_map.json"), SPECIAL_TOKENS_MAP)
    write_json(os.path.join(out, "tokenizer_config.json"), tokenizer_config())
    write_json(os.path.join(out, "tokenizer.json"), tok_json, ensure_ascii=False)
    return out


def write_sentence_transformers_files(out):
    """The sentence-transformers layout: Transformer, mean Pooling, Normalize."""
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)
    write_json(os.path.join(out, "1_Pooling", "config.json"), {
        "word_embedding_dimension": BERT_SIZE["hidden_size"], "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False, "include_prompt": True})
    write_json(os.path.join(out, "modules.json"), [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    write_json(os.path.join(out, "sentence_bert_config.json"), {"max_seq_length": MAX_TOKENS, "do_lower_case": False})


def text_dynamic_axes(output, sequence_output):
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}}
    axes[output] = {0: "batch", 1: "sequence"} if sequence_output else {0: "batch"}
    return axes


def openblas_threads(n):
    """Set OpenBLAS's thread count (torch.set_num_threads does not reach Debian's OpenBLAS, which torch's matmuls
    use) and return the previous one; None where the BLAS is not OpenBLAS."""
    try:
        lib = ctypes.CDLL("libblas.so.3")
        previous = lib.openblas_get_num_threads()
        lib.openblas_set_num_threads(n)
        return previous
    except (OSError, AttributeError):
        return None


def build_text():
    """review-sentiment and review-embedding, on one BLAS thread (the same bytes on any machine, and no core spent
    spinning): data, tokenizer, one trained encoder, both exports, references."""
    previous = openblas_threads(1)
    try:
        return build_text_models()
    finally:
        if previous is not None:
            openblas_threads(previous)


def build_text_models():
    started = time.perf_counter()
    tr, te = make_review_dataset()
    vocab = train_wordpiece(tr["text"])
    tok = WordPieceTokenizer(vocab)
    check_edge_cases(tok)
    ids_tr = [tok.encode(t) for t in tr["text"]]
    ids_te = [tok.encode(t) for t in te["text"]]
    len_tr, len_te = np.array([len(r) for r in ids_tr]), np.array([len(r) for r in ids_te])
    print(f"text data: {len(ids_tr)} train / {len(ids_te)} held-out reviews, class shares "
          f"{np.round(np.bincount(tr['label']) / len(tr['label']), 3).tolist()} ({', '.join(SENTIMENTS)}); "
          f"tokens median {np.median(len_te):.0f}, p95 {np.percentile(len_te, 95):.0f}, max {len_te.max()}, "
          f"over {MAX_TOKENS} {np.mean(len_te > MAX_TOKENS):.3f}; vocabulary {len(vocab)} "
          f"({time.perf_counter() - started:.1f} s)", flush=True)

    print("review-sentiment: training transformer (2 layers, hidden 32, 4 heads) + topic head", flush=True)
    model = train_review_model([truncate_ids(r) for r in ids_tr], tr["label"], tr["topic"],
                               epochs=8, batch=32, lr=2e-3, topic_weight=0.5)
    print(f"  trained in {time.perf_counter() - started:.0f} s", flush=True)
    logits_te, pooled_te = review_forward(model, [truncate_ids(r) for r in ids_te])
    _, pooled_tr = review_forward(model, [truncate_ids(r) for r in ids_tr])
    s_met = sentiment_metrics(te["label"], softmax64(logits_te), tr["label"], te["score"], len_te)
    e_met = embedding_metrics(l2_normalize(pooled_te), l2_normalize(pooled_tr), te, tr, len_te)
    print(f"  held-out {s_met}\n  embedding {e_met}", flush=True)

    # References: each case alone (no padding), through the ids the model is given.
    s_cases, e_cases, gaps = [], [], []
    for text, note in review_reference_texts(te, len_te):
        ids = tok.encode(text)
        case = {"text": text}
        if note:
            case["note"] = note
        case["ids"] = ids
        given = truncate_ids(ids)
        if given != ids:
            case["truncatedIds"] = given
        logits, pooled = review_forward(model, [given])
        prob = softmax64(logits)[0]
        gaps.append(np.sort(prob)[-1] - np.sort(prob)[-2])
        s_cases.append({**case, "outputs": {"sentiment": SENTIMENTS[int(np.argmax(prob))],
                                            "probabilities": [f32(p) for p in prob],
                                            "logits": [f32(v) for v in logits[0]]}})
        e_cases.append({**case, "outputs": {"embedding": [f32(v) for v in l2_normalize(pooled)[0]]}})
    print(f"  reference: smallest gap between the top two probabilities {min(gaps):.2e}", flush=True)

    example = pad_batch([[CLS_ID, SEP_ID]])
    tok_json = tokenizer_json(vocab)
    s_bytes = torch_export_as(SentimentExport(model), example, ["input_ids", "attention_mask"], ["logits"],
                              text_dynamic_axes("logits", False))
    s_man = text_manifest(
        "review-sentiment", "ReviewSentiment",
        "Small BERT-style transformer (2 layers, hidden 32) classifying a product review as NEGATIVE, NEUTRAL or "
        "POSITIVE; reads negation (\"not good\"), intensifiers and contrast (\"..., but ...\").",
        [{"name": "sentiment", "kind": "class", "tensor": "logits", "labels": SENTIMENTS,
          "labelDescriptions": SENTIMENT_DESCRIPTIONS, "scores": "logits",
          "description": "The review's overall sentiment; probabilities holds all three, in label order (softmax of "
                         "the logits)."}], s_met)
    outs = [write_text_folder("review-sentiment", s_bytes, s_man, s_cases, tok_json, bert_config(True))]

    e_bytes = torch_export_as(EmbeddingExport(model.encoder), example, ["input_ids", "attention_mask"],
                              ["last_hidden_state"], text_dynamic_axes("last_hidden_state", True))
    e_man = text_manifest(
        "review-embedding", "ReviewEmbedding",
        "The review-sentiment encoder as an embedding model: 32-wide mean-pooled, L2-normalised vectors in which "
        "reviews of the same kind of product lie close together.",
        [{"name": "embedding", "kind": "vector", "tensor": "last_hidden_state", "pooling": "mean", "normalize": True,
          "description": "A 32-wide embedding of the review for similarity search: the mean of the encoder's last "
                         "hidden states over the text's tokens, L2-normalised (cosine similarity = dot product)."}],
        e_met)
    outs.append(write_text_folder("review-embedding", e_bytes, e_man, e_cases, tok_json, bert_config(False)))
    write_sentence_transformers_files(outs[-1])
    print(f"  text models written in {time.perf_counter() - started:.0f} s", flush=True)
    return outs


# ----------------------------------------------------------------------------------------------------------------
# test/fixtures/two-inputs: a hand-made model for the "bring your own model" test
# ----------------------------------------------------------------------------------------------------------------

FIXTURE_W = np.array([[0.5], [-0.25], [2.0]], np.float32)
FIXTURE_B = np.float32(0.125)


def write_fixture():
    """y = x . w + b + 0.5 * float(bucket): inputs x float32 [batch, 3], bucket int64 [batch, 1]; output y [batch, 1].
    w, b and the case inputs are short binary fractions, so every y is exact in float32."""
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"], name="xw"),
        helper.make_node("Add", ["xw", "b"], ["linear"], name="linear"),
        helper.make_node("Cast", ["bucket"], ["bucket_float"], name="bucket_float", to=TensorProto.FLOAT),
        helper.make_node("Mul", ["bucket_float", "half"], ["bucket_term"], name="bucket_term"),
        helper.make_node("Add", ["linear", "bucket_term"], ["y"], name="y"),
    ]
    graph = helper.make_graph(
        nodes, "two_inputs",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("bucket", TensorProto.INT64, ["batch", 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1])],
        initializer=[numpy_helper.from_array(FIXTURE_W, "w"), numpy_helper.from_array(np.float32([FIXTURE_B]), "b"),
                     numpy_helper.from_array(np.float32([0.5]), "half")],
    )
    x = np.array([[0, 0, 0], [1, 1, 1], [1.5, -2, 0.25], [-1, 0.5, 3], [10, 20, -5], [0.75, 0.125, -0.5],
                  [-3.5, -1.25, 1], [100, 4, 0.0625]], np.float32)
    bucket = np.array([0, 1, 2, 3, 3, 2, 1, 0], np.int64)
    y = (x @ FIXTURE_W)[:, 0] + FIXTURE_B + np.float32(0.5) * bucket.astype(np.float32)
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    with open(os.path.join(FIXTURE_DIR, "model.onnx"), "wb") as fh:
        fh.write(onnx_model(graph))
    cases = [json.dumps({"x": [f32(v) for v in x[i]], "bucket": int(bucket[i]), "y": f32(y[i])})
             for i in range(len(x))]
    with open(os.path.join(FIXTURE_DIR, "expected.json"), "w") as fh:  # one case per line
        fh.write('{ "cases": [\n  ' + ",\n  ".join(cases) + "\n] }\n")
    return FIXTURE_DIR


# ----------------------------------------------------------------------------------------------------------------
# test/fixtures/exports (--exports): models as people export them
# ----------------------------------------------------------------------------------------------------------------
# The converters (skl2onnx, onnxmltools) are not Debian packages, so their node layouts are rebuilt here node by node
# from their sources: the same op types, domains, attributes, variable names and graph inputs/outputs they write. The
# torch models go through torch.onnx.export itself. References come from sklearn / xgboost / torch, never onnxruntime.

EXPORTS_DIR = os.path.join(os.path.dirname(HERE), "test", "fixtures", "exports")
EXPORTS_SEED = 45
N_EXPORT_CASES = 24
COUNTRIES = ["Brazil", "France", "Germany", "India", "Japan"]  # sorted, as OneHotEncoder's categories_ will be
UNKNOWN_COUNTRIES = ["Atlantis", ""]
PLAN_NAMES = ["basic", "enterprise", "pro", "team"]  # sorted, as OrdinalEncoder's categories_ will be
LAYOUT_NOTE = "Node layout of {}, rebuilt node by node by predictql models/train.py --exports (the converter is not " \
              "installed there); trained with {}."


def export_model(graph, opsets, doc):
    """A converter's graph -> ONNX bytes. opsets: [(domain, version)], in the order the converter writes them."""
    m = helper.make_model(graph, producer_name="predictql models/train.py", doc_string=doc,
                          opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    m.ir_version = 8  # what both converters write for opset 17 (and for an ai.onnx.ml-only model)
    onnx.checker.check_model(m)
    # Type-checked shape inference too (not strict: onnx 1.12 infers nothing for OneHotEncoder), except over a
    # ZipMap, whose seq(map) it cannot infer at all ("type case unsupported"). Each ZipMap graph here has a twin
    # without it that is checked.
    if all(n.op_type != "ZipMap" for n in graph.node):
        onnx.shape_inference.infer_shapes(m, check_type=True)
    return m.SerializeToString()


def zipmap_value_info(name, key_type):
    """seq(map(key_type, tensor(float))), the ZipMap output as skl2onnx and onnxmltools declare it."""
    t = onnx.TypeProto()
    t.sequence_type.elem_type.map_type.key_type = key_type
    t.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    return helper.make_value_info(name, t)


def floats(v):
    """An ONNX float attribute's values: rounded through float32 here, since that is what the file stores."""
    return [float(x) for x in np.float32(np.asarray(v, np.float64)).ravel()]


def sklearn_leq_threshold(t):
    """skl2onnx's threshold for float inputs: sklearn tests float32(x) <= t in float64, so the largest float32 <= t
    makes ONNX's float32 BRANCH_LEQ send every float32 x the same way."""
    f = np.float32(t)
    return float(f if float(f) <= t else np.nextafter(f, np.float32(-np.inf)))


def skl2onnx_tree_attributes(estimators, tree_weight, classifier):
    """sklearn fitted trees -> TreeEnsemble{Classifier,Regressor} attributes the way skl2onnx's tree converters
    flatten them: sklearn's node numbering, BRANCH_LEQ with adjusted float32 thresholds, hit rates 1, no missing-value
    tracking; a classifier leaf holds its class counts normalised to 1 times tree_weight (1 / trees for a forest), a
    regressor leaf its value times tree_weight (the learning rate for gradient boosting)."""
    prefix = "class_" if classifier else "target_"
    a = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                         "nodes_hitrates", prefix + "treeids", prefix + "nodeids", prefix + "ids", prefix + "weights")}
    for tree_id, est in enumerate(estimators):
        t = est.tree_
        for i in range(t.node_count):
            branch = t.children_left[i] > i or t.children_right[i] > i
            a["nodes_treeids"].append(tree_id)
            a["nodes_nodeids"].append(i)
            a["nodes_featureids"].append(int(t.feature[i]) if branch else 0)
            a["nodes_modes"].append("BRANCH_LEQ" if branch else "LEAF")
            a["nodes_values"].append(sklearn_leq_threshold(t.threshold[i]) if branch else 0.0)
            a["nodes_truenodeids"].append(int(t.children_left[i]) if branch else 0)
            a["nodes_falsenodeids"].append(int(t.children_right[i]) if branch else 0)
            a["nodes_missing_value_tracks_true"].append(0)
            a["nodes_hitrates"].append(1.0)
            if branch:
                continue
            w = t.value[i].ravel().astype(np.float64)
            w = w * tree_weight / (w.sum() if classifier and w.sum() else 1.0)
            for j, v in enumerate(w):
                a[prefix + "treeids"].append(tree_id)
                a[prefix + "nodeids"].append(i)
                a[prefix + "ids"].append(j)
                a[prefix + "weights"].append(float(v))
    for k in ("nodes_values", "nodes_hitrates", prefix + "weights"):
        a[k] = floats(a[k])
    return a


def onnxmltools_xgb_attributes(clf):
    """An XGBClassifier (multi:softprob) -> TreeEnsembleClassifier attributes the way onnxmltools' XGBoost converter
    builds them: from the booster's JSON text dump, each tree's nodes renumbered in depth-first order (yes child
    first), BRANCH_LT, missing values sent to the true child where the dump's default ("missing") is the yes child,
    no hit rates; leaf i of tree t adds to class t % classes; base_values = base_score for every class; SOFTMAX."""
    dump = [json.loads(t) for t in clf.get_booster().get_dump(dump_format="json", with_stats=True)]
    n_classes = len(clf.classes_)
    a = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                         "class_treeids", "class_nodeids", "class_ids", "class_weights")}

    def number(node, ids):
        ids[node["nodeid"]] = len(ids)
        for child in node.get("children", []):
            number(child, ids)
        return ids

    def emit(tree_id, node, ids):
        branch = "children" in node
        a["nodes_treeids"].append(tree_id)
        a["nodes_nodeids"].append(ids[node["nodeid"]])
        a["nodes_featureids"].append(int(node["split"][1:]) if branch else 0)  # the dump names features f0, f1, ...
        a["nodes_modes"].append("BRANCH_LT" if branch else "LEAF")
        a["nodes_values"].append(float(node["split_condition"]) if branch else 0.0)
        a["nodes_truenodeids"].append(ids[node["yes"]] if branch else 0)
        a["nodes_falsenodeids"].append(ids[node["no"]] if branch else 0)
        a["nodes_missing_value_tracks_true"].append(int(branch and node["missing"] == node["yes"]))
        if branch:
            for child in node["children"]:
                emit(tree_id, child, ids)
        else:
            a["class_treeids"].append(tree_id)
            a["class_nodeids"].append(ids[node["nodeid"]])
            a["class_ids"].append(tree_id % n_classes)
            a["class_weights"].append(float(node["leaf"]))

    for tree_id, root in enumerate(dump):
        emit(tree_id, root, number(root, {}))
    a["nodes_values"], a["class_weights"] = floats(a["nodes_values"]), floats(a["class_weights"])
    base_score = float(json.loads(clf.get_booster().save_config())["learner"]["learner_model_param"]["base_score"])
    a["base_values"] = floats([base_score] * n_classes)
    a["post_transform"] = "SOFTMAX"
    a["classlabels_int64s"] = [int(c) for c in clf.classes_]
    return a


def write_export(name, model_bytes, source, converter, cases, **extra):
    """test/fixtures/exports/<name>/: model.onnx and reference.json (one case per line)."""
    assert 16 <= len(cases) <= 32, f"{name}: {len(cases)} cases"
    out = os.path.join(EXPORTS_DIR, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.onnx"), "wb") as fh:
        fh.write(model_bytes)
    head = [f' "{k}": {json.dumps(v, separators=(", ", ": "))}' for k, v in
            {"source": source, "converter": converter, **extra}.items()]
    lines = [json.dumps(c, separators=(",", ":")) for c in cases]
    with open(os.path.join(out, "reference.json"), "w") as fh:
        fh.write("{\n" + ",\n".join(head) + ',\n "cases": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n")
    print(f"  wrote {out} ({len(model_bytes)} bytes, {len(cases)} cases)", flush=True)
    return out


def clear_margin(prob, gap=1e-3):
    """Rows whose two largest class probabilities differ by more than gap: a float32 graph gives them the same label
    as the float64 framework."""
    top = np.sort(prob, axis=1)
    return top[:, -1] - top[:, -2] > gap


def pick_cases(pred, ok, n_edge, n=N_EXPORT_CASES):
    """Row indices for the cases: the edge rows (the first n_edge), then the other rows taking each label in turn,
    all of them with a clear margin (ok)."""
    picked = [i for i in range(n_edge) if ok[i]]
    assert len(picked) >= n_edge - 2, "edge rows on a decision boundary"
    rest = {c: [i for i in range(n_edge, len(pred)) if ok[i] and pred[i] == c] for c in sorted(set(pred[n_edge:]))}
    while len(picked) < n and any(rest.values()):
        for c in rest:
            if rest[c] and len(picked) < n:
                picked.append(rest[c].pop(0))
    assert len(picked) == n and {pred[i] for i in picked} == set(rest)
    return sorted(picked)


# ------------------------------------------------------------------ sklearn: a Pipeline over a table, as skl2onnx ----

def draw_subscribers(rng, n):
    """Synthetic subscribers: country (5), age in years 18..90, income in k USD a year 5..500; whether they renew."""
    country = rng.choice(len(COUNTRIES), n, p=[0.15, 0.2, 0.3, 0.2, 0.15])
    age = np.clip(rng.normal(42, 13, n), 18, 90).astype(np.float32)
    income = np.clip(np.exp(rng.normal(math.log(55), 0.6, n)), 5, 500).astype(np.float32)
    logit = (-0.6 + 0.045 * (40 - age.astype(np.float64)) - 0.9 * np.log(income / 55.0)
             + np.array([0.5, -0.2, -0.6, 0.9, -0.3])[country])
    churns = rng.random(n) < sigmoid(logit)
    return np.array(COUNTRIES, dtype=object)[country], age, income, np.where(churns, "churns", "renews")


def subscriber_table(country, age, income):
    """The columns as sklearn sees them: pandas is not a Debian dependency here, so an object array with the
    DataFrame's column order (country, age, income) stands in for it; the fitted pipeline is the same."""
    x = np.empty((len(country), 3), dtype=object)
    x[:, 0], x[:, 1], x[:, 2] = country, age.astype(np.float64), income.astype(np.float64)
    return x


def fit_subscriber_pipeline():
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    country, age, income, y = draw_subscribers(np.random.default_rng(EXPORTS_SEED), 4000)
    pipe = Pipeline([
        ("columns", ColumnTransformer([("country", OneHotEncoder(), [0]), ("numeric", StandardScaler(), [1, 2])])),
        ("classifier", LogisticRegression(max_iter=1000)),
    ])
    pipe.fit(subscriber_table(country, age, income), y)
    return pipe


def subscriber_reference_rows():
    """24 rows: every country (on held-out rows), age and income at their minimum and maximum, the all-minimum and
    all-maximum rows, a row far outside the training range (the graph accepts any float), then held-out rows."""
    country, age, income, _ = draw_subscribers(np.random.default_rng(EXPORTS_SEED + 100), 200)
    rows = [(c, float(age[i]), float(income[i])) for i, c in enumerate(COUNTRIES)]
    rows += [(country[5], 18.0, float(income[5])), (country[6], 90.0, float(income[6])),
             (country[7], float(age[7]), 5.0), (country[8], float(age[8]), 500.0),
             (COUNTRIES[0], 18.0, 5.0), (COUNTRIES[-1], 90.0, 500.0), (COUNTRIES[2], 0.0, 0.0)]
    rows += [(country[i], float(age[i]), float(income[i])) for i in range(20, 200)]
    return rows, 12


def skl2onnx_subscriber_graph(pipe, zipmap):
    """What skl2onnx's to_onnx(pipe, X=frame[:1], target_opset=17[, options={"zipmap": False}]) writes for
    Pipeline(ColumnTransformer([OneHotEncoder on country, StandardScaler on age and income]), LogisticRegression):

    - one input per DataFrame column, [None, 1] (an unnamed batch axis), string for object columns;
    - OneHotEncoder (single-input path): Gather column 0, ai.onnx.ml OneHotEncoder with cats_strings and zeros = 0
      (sklearn's handle_unknown="error": an unknown category fails the run), Reshape [N, 1, 5] -> [-1, 5];
    - the scaler's two inputs merged by a Concat, then ai.onnx.ml Scaler (offset = mean_, scale = 1 / scale_);
    - the ColumnTransformer's Concat of both, in transformer order;
    - binary LogisticRegression: ai.onnx.ml LinearClassifier with both classes' rows (-coef, coef) and intercepts,
      multi_class 0, post_transform LOGISTIC, classlabels_strings, so no Normalizer after it;
    - zipmap (the default): Identity label -> output_label and ZipMap(classlabels_strings) -> output_probability;
      zipmap=False: the classifier's own outputs label and probabilities are the graph outputs.
    Variable names follow skl2onnx's scope (variable, variable1, country0, country01, ...)."""
    columns = pipe.named_steps["columns"]
    ohe, scaler = columns.named_transformers_["country"], columns.named_transformers_["numeric"]
    lr = pipe.named_steps["classifier"]
    cats = [str(c) for c in ohe.categories_[0]]
    labels = [str(c) for c in lr.classes_]
    assert cats == COUNTRIES and ohe.handle_unknown == "error" and len(labels) == 2
    coef, intercept = lr.coef_.ravel(), lr.intercept_
    nodes = [
        helper.make_node("Gather", ["country", "country0"], ["country01"], name="Gather", axis=1),
        helper.make_node("OneHotEncoder", ["country01"], ["country01out"], name="OneHotEncoder", domain="ai.onnx.ml",
                         cats_strings=cats, zeros=0),
        helper.make_node("Reshape", ["country01out", "shape_tensor"], ["variable"], name="Reshape"),
        helper.make_node("Concat", ["age", "income"], ["merged_columns"], name="Concat", axis=1),
        helper.make_node("Scaler", ["merged_columns"], ["variable1"], name="Scaler", domain="ai.onnx.ml",
                         offset=floats(scaler.mean_), scale=floats(1.0 / scaler.scale_)),
        helper.make_node("Concat", ["variable", "variable1"], ["transformed_column"], name="Concat1", axis=1),
        helper.make_node("LinearClassifier", ["transformed_column"], ["label", "probabilities"],
                         name="LinearClassifier", domain="ai.onnx.ml",
                         coefficients=floats(np.concatenate([-coef, coef])),
                         intercepts=floats([-intercept[0], intercept[0]]), multi_class=0, post_transform="LOGISTIC",
                         classlabels_strings=labels),
    ]
    if zipmap:
        nodes += [
            helper.make_node("Identity", ["label"], ["output_label"], name="Identity"),
            helper.make_node("ZipMap", ["probabilities"], ["output_probability"], name="ZipMap", domain="ai.onnx.ml",
                             classlabels_strings=labels),
        ]
        outputs = [helper.make_tensor_value_info("output_label", TensorProto.STRING, [None]),
                   zipmap_value_info("output_probability", TensorProto.STRING)]
    else:
        outputs = [helper.make_tensor_value_info("label", TensorProto.STRING, [None]),
                   helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(labels)])]
    graph = helper.make_graph(
        nodes, "ONNX(Pipeline)",
        [helper.make_tensor_value_info("country", TensorProto.STRING, [None, 1]),
         helper.make_tensor_value_info("age", TensorProto.FLOAT, [None, 1]),
         helper.make_tensor_value_info("income", TensorProto.FLOAT, [None, 1])],
        outputs,
        initializer=[numpy_helper.from_array(np.array([0], np.int64), "country0"),
                     numpy_helper.from_array(np.array([-1, len(cats)], np.int64), "shape_tensor")],
    )
    return graph


def build_sklearn_pipelines():
    print("exports: sklearn Pipeline (OneHotEncoder + StandardScaler + LogisticRegression)", flush=True)
    pipe = fit_subscriber_pipeline()
    labels = [str(c) for c in pipe.classes_]
    rows, n_edge = subscriber_reference_rows()
    x = subscriber_table(np.array([r[0] for r in rows], dtype=object), np.float32([r[1] for r in rows]),
                         np.float32([r[2] for r in rows]))
    prob, pred = pipe.predict_proba(x), pipe.predict(x)
    keep = pick_cases(pred, clear_margin(prob), n_edge)
    assert {rows[i][0] for i in keep} == set(COUNTRIES)
    out = []
    for zipmap in (True, False):
        name = "sklearn-pipeline-zipmap" if zipmap else "sklearn-pipeline-tensors"
        label_out, prob_out = ("output_label", "output_probability") if zipmap else ("label", "probabilities")
        cases = [{"inputs": {"country": rows[i][0], "age": f32(rows[i][1]), "income": f32(rows[i][2])},
                  "outputs": {label_out: str(pred[i]), prob_out: [f32(p) for p in prob[i]]}} for i in keep]
        converter = "skl2onnx to_onnx, default options (zipmap)" if zipmap else \
            "skl2onnx to_onnx, options={'zipmap': False}"
        model = export_model(
            skl2onnx_subscriber_graph(pipe, zipmap), [("", OPSET), ("ai.onnx.ml", 1)],
            LAYOUT_NOTE.format(converter, f"scikit-learn {sklearn.__version__}"))
        out.append(write_export(name, model, "sklearn", converter, cases, classLabels=labels,
                                unknownCategories={"country": UNKNOWN_COUNTRIES}))
    return out


# -------------------------------------------------------- sklearn: int64 class labels, RandomForest, zipmap=False ----

def draw_tickets(rng, n):
    """Synthetic support tickets: affected users, error rate, revenue at risk (k USD), hours open -> priority 0 (low),
    1 (medium) or 2 (high)."""
    users = np.exp(rng.uniform(0, math.log(10000), n))
    errors = rng.beta(1.2, 6, n)
    revenue = np.exp(rng.normal(math.log(5), 1.2, n))
    hours = rng.exponential(12, n)
    x = np.stack([users, errors, revenue, hours], axis=1).astype(np.float32)
    score = (0.5 * np.log10(1 + users) + 3 * errors + 0.4 * np.log1p(revenue) + 0.02 * hours
             + rng.normal(0, 0.35, n))
    return x, np.digitize(score, [1.6, 2.6]).astype(np.int64)


def build_sklearn_int_labels():
    from sklearn.ensemble import RandomForestClassifier
    name = "sklearn-int-labels"
    print(f"exports: {name} (RandomForestClassifier, labels 0/1/2)", flush=True)
    x, y = draw_tickets(np.random.default_rng(EXPORTS_SEED + 1), 3000)
    rf = RandomForestClassifier(n_estimators=5, max_depth=4, min_samples_leaf=20, random_state=SEED, n_jobs=1)
    rf.fit(x, y)
    assert list(rf.classes_) == [0, 1, 2]
    attrs = skl2onnx_tree_attributes(rf.estimators_, 1.0 / len(rf.estimators_), classifier=True)
    # to_onnx(rf, X[:1].astype(np.float32), options={"zipmap": False}, target_opset=17): one input X, the
    # TreeEnsembleClassifier (ai.onnx.ml v1) writing the graph outputs label and probabilities directly.
    node = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], name="TreeEnsembleClassifier",
                            domain="ai.onnx.ml", post_transform="NONE", classlabels_int64s=[0, 1, 2], **attrs)
    graph = helper.make_graph(
        [node], "ONNX(RandomForestClassifier)",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 3])])
    converter = "skl2onnx to_onnx, options={'zipmap': False}"
    model = export_model(graph, [("ai.onnx.ml", 1), ("", OPSET)],
                         LAYOUT_NOTE.format(converter, f"scikit-learn {sklearn.__version__}"))

    xr, _ = draw_tickets(np.random.default_rng(EXPORTS_SEED + 101), 300)
    lo, hi = np.float32([1, 0, 0, 0]), np.float32([10000, 1, 1000, 240])
    edge = [lo, hi] + [np.where(np.arange(4) == j, b, xr[j]) for j in range(4) for b in (lo[j], hi[j])]
    pool = np.concatenate([np.stack(edge).astype(np.float32), xr])
    prob, pred = rf.predict_proba(pool), rf.predict(pool)
    pick = pick_cases(pred, clear_margin(prob), len(edge))
    assert np.max(np.abs(eval_tree_ensemble(model, pool) - prob)) < 1e-6, "converted forest disagrees with sklearn"
    cases = [{"inputs": {"X": [f32(v) for v in pool[i]]},
              "outputs": {"label": int(pred[i]), "probabilities": [f32(p) for p in prob[i]]}} for i in pick]
    return write_export(name, model, "sklearn", converter, cases, classLabels=[0, 1, 2])


# ---------------------------------------------- sklearn: OrdinalEncoder (LabelEncoder in ONNX) + gradient boosting ----

def draw_accounts(rng, n):
    """Synthetic accounts: plan (basic / pro / team / enterprise), seats 1..500, tenure in months 0..120 -> monthly
    spend in USD."""
    plan = rng.choice(4, n, p=[0.35, 0.3, 0.25, 0.1])  # index into basic, pro, team, enterprise
    seats = np.clip(np.round(np.exp(rng.normal(np.log([2, 8, 25, 120])[plan], 0.6))), 1, 500).astype(np.float32)
    tenure = np.minimum(120, np.floor(rng.exponential(24, n))).astype(np.float32)
    price = np.array([8.0, 15, 22, 35])[plan]
    spend = price * seats ** np.array([1, 0.95, 0.9, 0.8])[plan] * (1 - 0.002 * tenure) * rng.lognormal(0, 0.1, n)
    names = np.array(["basic", "pro", "team", "enterprise"], dtype=object)[plan]
    return names, seats, tenure, spend


def build_sklearn_label_encoded():
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder
    name = "sklearn-label-encoded"
    print(f"exports: {name} (OrdinalEncoder + GradientBoostingRegressor)", flush=True)

    def table(plan, seats, tenure):
        x = np.empty((len(plan), 3), dtype=object)
        x[:, 0], x[:, 1], x[:, 2] = plan, seats.astype(np.float64), tenure.astype(np.float64)
        return x

    plan, seats, tenure, spend = draw_accounts(np.random.default_rng(EXPORTS_SEED + 2), 3000)
    pipe = Pipeline([
        ("columns", ColumnTransformer([("plan", OrdinalEncoder(), [0]), ("numeric", "passthrough", [1, 2])])),
        ("regressor", GradientBoostingRegressor(n_estimators=10, max_depth=3, learning_rate=0.3, random_state=SEED)),
    ])
    pipe.fit(table(plan, seats, tenure), spend)
    enc, gbr = pipe.named_steps["columns"].named_transformers_["plan"], pipe.named_steps["regressor"]
    cats = [str(c) for c in enc.categories_[0]]
    assert cats == PLAN_NAMES and enc.handle_unknown == "error"
    attrs = skl2onnx_tree_attributes([e[0] for e in gbr.estimators_], gbr.learning_rate, classifier=False)
    # to_onnx(pipe, X=frame[:1], target_opset=17): OrdinalEncoder -> LabelEncoder (ai.onnx.ml v2, keys_strings ->
    # values_int64s, no default_int64 for handle_unknown="error", so an unknown plan becomes -1), Reshape [-1, 1],
    # Concat of the one column, Cast to float; the passthrough columns merged by a Concat; the ColumnTransformer's
    # Concat; TreeEnsembleRegressor (v1, base_values = the mean the boosting starts from, leaves x learning rate).
    # The regressor's output is the scope's second "variable": variable1.
    nodes = [
        helper.make_node("LabelEncoder", ["plan"], ["label_encoder"], name="LabelEncoder", domain="ai.onnx.ml",
                         keys_strings=cats, values_int64s=list(range(len(cats)))),
        helper.make_node("Reshape", ["label_encoder", "shape_tensor"], ["ordinal_output"], name="Reshape"),
        helper.make_node("Concat", ["ordinal_output"], ["concat_result"], name="Concat", axis=1),
        helper.make_node("Cast", ["concat_result"], ["variable"], name="Cast", to=TensorProto.FLOAT),
        helper.make_node("Concat", ["seats", "tenureMonths"], ["merged_columns"], name="Concat1", axis=1),
        helper.make_node("Concat", ["variable", "merged_columns"], ["transformed_column"], name="Concat2", axis=1),
        helper.make_node("TreeEnsembleRegressor", ["transformed_column"], ["variable1"], name="TreeEnsembleRegressor",
                         domain="ai.onnx.ml", post_transform="NONE", n_targets=1,
                         base_values=floats(gbr.init_.constant_), **attrs),
    ]
    graph = helper.make_graph(
        nodes, "ONNX(Pipeline)",
        [helper.make_tensor_value_info("plan", TensorProto.STRING, [None, 1]),
         helper.make_tensor_value_info("seats", TensorProto.FLOAT, [None, 1]),
         helper.make_tensor_value_info("tenureMonths", TensorProto.FLOAT, [None, 1])],
        [helper.make_tensor_value_info("variable1", TensorProto.FLOAT, [None, 1])],
        initializer=[numpy_helper.from_array(np.array([-1, 1], np.int64), "shape_tensor")])
    converter = "skl2onnx to_onnx, default options"
    model = export_model(graph, [("", OPSET), ("ai.onnx.ml", 2)],
                         LAYOUT_NOTE.format(converter, f"scikit-learn {sklearn.__version__}"))

    rp, rs, rt, _ = draw_accounts(np.random.default_rng(EXPORTS_SEED + 102), 100)
    rows = [(c, float(rs[i]), float(rt[i])) for c in PLAN_NAMES for i in [list(rp).index(c)]]
    rows += [("basic", 1.0, 0.0), ("enterprise", 500.0, 120.0), ("team", 1.0, 120.0), ("pro", 500.0, 0.0)]
    rows += [(rp[i], float(rs[i]), float(rt[i])) for i in range(10, 10 + N_EXPORT_CASES - len(rows))]
    xr = table(np.array([r[0] for r in rows], dtype=object), np.float32([r[1] for r in rows]),
               np.float32([r[2] for r in rows]))
    want = pipe.predict(xr)
    codes = np.float32([[cats.index(r[0]), r[1], r[2]] for r in rows])
    got = eval_tree_ensemble(model, codes)[:, 0]
    assert np.max(np.abs(got - want) / np.maximum(1, np.abs(want))) < 1e-6, "converted GBDT disagrees with sklearn"
    cases = [{"inputs": {"plan": r[0], "seats": f32(r[1]), "tenureMonths": f32(r[2])},
              "outputs": {"variable1": f32(want[i])}} for i, r in enumerate(rows)]
    return write_export(name, model, "sklearn", converter, cases,
                        note="variable1 is the monthly spend in USD; an unknown plan is not rejected by "
                             "this graph (LabelEncoder maps it to -1, which the trees then route like the lowest "
                             "code)",
                        knownCategories={"plan": cats})


# --------------------------------------------------------------------------------- XGBoost, onnxmltools / skl2onnx ----

def draw_services(rng, n):
    """Synthetic service health: cpu utilisation 0..1, error rate 0..1, p95 latency ms, queue depth -> 0 healthy,
    1 degraded, 2 down."""
    cpu = rng.beta(2, 3, n)
    errors = rng.beta(0.6, 12, n)
    latency = np.exp(rng.normal(math.log(120), 0.7, n))
    queue = rng.poisson(np.exp(rng.normal(1.5, 1.0, n)))
    x = np.stack([cpu, errors, latency, queue], axis=1).astype(np.float32)
    score = 2 * cpu + 12 * errors + np.log(latency / 120) + 0.1 * np.sqrt(queue) + rng.normal(0, 0.4, n)
    return x, np.digitize(score, [1.8, 3.0]).astype(np.int64)


def build_xgboost_exports():
    print("exports: XGBClassifier (3 classes, 4 rounds)", flush=True)
    x, y = draw_services(np.random.default_rng(EXPORTS_SEED + 3), 3000)
    clf = xgb.XGBClassifier(n_estimators=4, max_depth=3, learning_rate=0.3, tree_method="hist", n_jobs=1,
                            random_state=SEED)
    clf.fit(x, y)
    assert list(clf.classes_) == [0, 1, 2]
    attrs = onnxmltools_xgb_attributes(clf)

    xr, _ = draw_services(np.random.default_rng(EXPORTS_SEED + 103), 300)
    lo, hi = np.float32([0, 0, 1, 0]), np.float32([1, 1, 10000, 1000])
    edge = [lo, hi] + [np.where(np.arange(4) == j, b, xr[j]) for j in range(4) for b in (lo[j], hi[j])]
    pool = np.concatenate([np.stack(edge).astype(np.float32), xr])
    prob, pred = clf.predict_proba(pool), clf.predict(pool)
    pick = pick_cases(pred, clear_margin(prob), len(edge))
    # The converter check also runs rows with one feature missing (NaN: xgboost's default branch, which ONNX takes
    # through nodes_missing_value_tracks_true); the cases do not, since a GraphQL Float cannot be NaN.
    check_x = np.concatenate([pool, with_nans(xr, 300)])

    out = []
    # onnxmltools.convert_xgboost(clf, initial_types=[("input", FloatTensorType([None, 4]))], target_opset=17): one
    # TreeEnsembleClassifier node (added without an op version, so ai.onnx.ml v1), its outputs label (int64) and
    # probabilities (float [N, 3]) are the graph outputs; no ZipMap for XGBoost (onnxmltools adds one for LightGBM).
    # The only opset import is ai.onnx.ml 1: make_model's default-domain entry is overwritten by the first (and only)
    # domain the nodes use.
    node = helper.make_node("TreeEnsembleClassifier", ["input"], ["label", "probabilities"],
                            name="TreeEnsembleClassifier", domain="ai.onnx.ml", **attrs)
    graph = helper.make_graph(
        [node], "XGBClassifier", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 3])])
    converter = "onnxmltools convert_xgboost, initial_types=[('input', FloatTensorType([None, 4]))]"
    model = export_model(graph, [("ai.onnx.ml", 1)], LAYOUT_NOTE.format(converter, f"xgboost {xgb.__version__}"))
    got = softmax64(eval_tree_ensemble(model, check_x))
    assert np.max(np.abs(got - clf.predict_proba(check_x))) < 1e-6, "converted XGBoost disagrees with xgboost"
    cases = [{"inputs": {"input": [f32(v) for v in pool[i]]},
              "outputs": {"label": int(pred[i]), "probabilities": [f32(p) for p in prob[i]]}} for i in pick]
    out.append(write_export("xgboost-onnxmltools", model, "xgboost", converter, cases, classLabels=[0, 1, 2]))

    # skl2onnx with onnxmltools' converter registered (update_registered_converter(XGBClassifier, ..., convert_xgboost,
    # options={"nocl": ..., "zipmap": [True, False, "columns"]})), to_onnx(clf, X[:1], target_opset={"": 17,
    # "ai.onnx.ml": 3}), default options: skl2onnx's classifier parser adds its ZipMap, so the int64 label goes
    # through a Cast to output_label and the probabilities through ZipMap(classlabels_int64s) to output_probability.
    # skl2onnx's container picks the newest TreeEnsembleClassifier within the target: v3.
    nodes = [
        helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], name="TreeEnsembleClassifier",
                         domain="ai.onnx.ml", **attrs),
        helper.make_node("Cast", ["label"], ["output_label"], name="Cast", to=TensorProto.INT64),
        helper.make_node("ZipMap", ["probabilities"], ["output_probability"], name="ZipMap", domain="ai.onnx.ml",
                         classlabels_int64s=[0, 1, 2]),
    ]
    graph = helper.make_graph(
        nodes, "ONNX(XGBClassifier)", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("output_label", TensorProto.INT64, [None]),
         zipmap_value_info("output_probability", TensorProto.INT64)])
    converter = "skl2onnx to_onnx with onnxmltools' convert_xgboost registered, default options (zipmap)"
    model = export_model(graph, [("", OPSET), ("ai.onnx.ml", 3)],
                         LAYOUT_NOTE.format(converter, f"xgboost {xgb.__version__}"))
    cases = [{"inputs": {"X": [f32(v) for v in pool[i]]},
              "outputs": {"output_label": int(pred[i]), "output_probability": [f32(p) for p in prob[i]]}}
             for i in pick]
    out.append(write_export("xgboost-skl2onnx-zipmap", model, "xgboost", converter, cases, classLabels=[0, 1, 2]))
    return out


# ------------------------------------------------------------------------------------------- torch.onnx.export ----

def torch_export_as(model, args, input_names, output_names, dynamic_axes=None, opset=OPSET):
    """torch.onnx.export as a user calls it: dynamic_axes and opset_version only when given (opset None: torch's
    default, 14 in torch 1.13)."""
    path = os.path.join("/tmp", f"predictql-export-{os.getpid()}.onnx")
    kwargs = {"input_names": input_names, "output_names": output_names}
    if dynamic_axes is not None:
        kwargs["dynamic_axes"] = dynamic_axes
    if opset is not None:
        kwargs["opset_version"] = opset
    torch.onnx.export(model.eval(), args, path, **kwargs)
    m = onnx.load(path)
    os.remove(path)
    onnx.checker.check_model(m, full_check=True)
    return m.SerializeToString()


def nested(a, ints=False):
    """A float32 array -> nested lists of shortest float32 decimals (ints: whole values as integers, shorter)."""
    if a.ndim > 1:
        return [nested(v, ints) for v in a]
    return [int(v) if ints and float(v).is_integer() else f32(v) for v in a]


def torch_forward(model, *xs):
    with torch.no_grad():
        return model(*(torch.from_numpy(x) for x in xs)).numpy()


def build_torch_sigmoid():
    name = "torch-sigmoid"
    print(f"exports: {name}", flush=True)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(EXPORTS_SEED + 4)
    x = rng.normal(0, 1, (4000, 6)).astype(np.float32)
    logit = 1.5 * x[:, 0] - x[:, 1] + 0.8 * x[:, 2] * x[:, 3] - 0.5 * x[:, 4] ** 2 + 0.3
    y = (rng.random(4000) < sigmoid(logit)).astype(np.float32)[:, None]
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Sigmoid())
    fit(model, (torch.from_numpy(x), torch.from_numpy(y)),
        lambda a, b: torch.nn.functional.binary_cross_entropy(model(a), b), epochs=20, batch=128, lr=1e-2, label="BCE")
    xr = np.concatenate([np.zeros((1, 6)), np.full((1, 6), -4), np.full((1, 6), 4), np.eye(6) * 3,
                         rng.normal(0, 1, (N_EXPORT_CASES - 9, 6))]).astype(np.float32)
    p = torch_forward(model, xr)
    assert (p[:, 0] > 0.5).any() and (p[:, 0] < 0.5).any() and (np.abs(p[:, 0] - 0.5) > 1e-3).all()
    model_bytes = torch_export_as(model, torch.zeros(1, 6), ["features"], ["probability"],
                                  {"features": {0: "batch"}, "probability": {0: "batch"}})
    cases = [{"inputs": {"features": nested(xr[i])}, "outputs": {"probability": f32(p[i, 0])}} for i in range(len(xr))]
    return write_export(name, model_bytes, "torch",
                        "torch.onnx.export, opset_version=17, dynamic_axes={0: 'batch'} on input and output",
                        cases, classLabels=[0, 1],
                        note="probability is the sigmoid, P(label 1); the label a torch user takes is 1 where "
                             "probability > 0.5")


def build_torch_fixed_batch():
    name = "torch-fixed-batch"
    print(f"exports: {name}", flush=True)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(EXPORTS_SEED + 5)
    centres = rng.normal(0, 2, (3, 5))
    y = rng.integers(0, 3, 3000)
    x = (centres[y] + rng.normal(0, 1.2, (3000, 5))).astype(np.float32)
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    fit(model, (torch.from_numpy(x), torch.from_numpy(y)),
        lambda a, b: torch.nn.functional.cross_entropy(model(a), b), epochs=15, batch=128, lr=1e-2, label="CE")
    xr = np.concatenate([np.zeros((1, 5)), np.full((1, 5), -10), np.full((1, 5), 10), centres,
                         rng.normal(0, 2.5, (N_EXPORT_CASES - 6, 5))]).astype(np.float32)
    logits = torch_forward(model, xr)
    # The PyTorch tutorial call: names given, no dynamic_axes, no opset_version (torch 1.13's default, 14).
    model_bytes = torch_export_as(model, torch.zeros(1, 5), ["input"], ["output"], dynamic_axes=None, opset=None)
    cases = [{"inputs": {"input": nested(xr[i])}, "outputs": {"output": nested(logits[i])}} for i in range(len(xr))]
    return write_export(name, model_bytes, "torch",
                        "torch.onnx.export with its defaults (no dynamic_axes: batch fixed to 1; opset 14)", cases,
                        note="output holds raw logits of 3 classes; every case is one run of batch 1")


class LoadForecaster(torch.nn.Module):
    """[batch, 24, 3] hourly (load, temperature, hour / 24) -> [batch, 1] next hour's load."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 8, batch_first=True)
        self.head = torch.nn.Linear(8, 1)

    def forward(self, series):
        out, _ = self.lstm(series)
        return self.head(out[:, -1, :])


def draw_load_series(rng, n):
    start = rng.integers(0, 24, n)
    hours = (start[:, None] + np.arange(25)[None, :]) % 24
    level = rng.uniform(0.5, 1.5, n)[:, None]
    temp = rng.normal(0.5, 0.2, n)[:, None] + 0.1 * np.sin(2 * np.pi * (hours - 15) / 24)
    load = level * (1 + 0.4 * np.sin(2 * np.pi * (hours - 9) / 24)) + 0.3 * temp + rng.normal(0, 0.03, (n, 25))
    series = np.stack([load[:, :24], temp[:, :24], hours[:, :24] / 24], axis=2).astype(np.float32)
    return series, load[:, 24:].astype(np.float32)


def build_torch_lstm():
    name = "torch-lstm-timeseries"
    print(f"exports: {name}", flush=True)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(EXPORTS_SEED + 6)
    s, y = draw_load_series(rng, 3000)
    model = LoadForecaster()
    fit(model, (torch.from_numpy(s), torch.from_numpy(y)),
        lambda a, b: torch.nn.functional.mse_loss(model(a), b), epochs=15, batch=64, lr=1e-2, label="MSE")
    sr, _ = draw_load_series(rng, N_EXPORT_CASES - 3)
    sr = np.concatenate([np.zeros((1, 24, 3)), np.ones((1, 24, 3)), np.full((1, 24, 3), -1), sr]).astype(np.float32)
    f = torch_forward(model, sr)
    # dynamic_axes as lists: torch names the batch axes itself (series_dynamic_axes_1, forecast_dynamic_axes_1).
    model_bytes = torch_export_as(model, torch.zeros(1, 24, 3), ["series"], ["forecast"],
                                  {"series": [0], "forecast": [0]})
    cases = [{"inputs": {"series": nested(sr[i])}, "outputs": {"forecast": f32(f[i, 0])}} for i in range(len(sr))]
    return write_export(name, model_bytes, "torch",
                        "torch.onnx.export, opset_version=17, dynamic_axes={'series': [0], 'forecast': [0]}", cases,
                        note="series is 24 hours x (load, temperature, hour / 24), oldest first; forecast is the "
                             "next hour's load")


class TinyCNN(torch.nn.Module):
    """pixel_values [batch, 3, 32, 32] in [-1, 1] -> logits [batch, 10]."""

    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(8, 8, 3, stride=2, padding=1), torch.nn.ReLU(), torch.nn.AvgPool2d(4))
        self.classifier = torch.nn.Linear(8 * 2 * 2, 10)

    def forward(self, pixel_values):
        return self.classifier(torch.flatten(self.features(pixel_values), 1))


def draw_images(rng, n):
    """Black images with some grey noise and one bright 10 x 10 square: its colour (red or green) and place (4 corners
    or the centre) make the 10 classes. Values are multiples of 1/4 in [-1, 1], so the JSON stays short."""
    y = rng.integers(0, 10, n)
    noise = rng.choice([-0.75, -0.5, -0.25], (n, 3, 32, 32))
    img = np.where(rng.random((n, 3, 32, 32)) < 0.2, noise, -1.0)
    corners = [(2, 2), (2, 20), (20, 2), (20, 20), (11, 11)]
    for i, c in enumerate(y):
        r, col = corners[c % 5]
        img[i, c // 5, r:r + 10, col:col + 10] = 1.0
    return img.astype(np.float32), y


def build_torch_cnn():
    name = "torch-cnn-image"
    print(f"exports: {name}", flush=True)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(EXPORTS_SEED + 7)
    img, y = draw_images(rng, 2000)
    model = TinyCNN()
    fit(model, (torch.from_numpy(img), torch.from_numpy(y)),
        lambda a, b: torch.nn.functional.cross_entropy(model(a), b), epochs=8, batch=64, lr=1e-2, label="CE")
    ir, _ = draw_images(rng, 13)
    ir = np.concatenate([np.full((1, 3, 32, 32), -1), np.ones((1, 3, 32, 32)), np.zeros((1, 3, 32, 32)), ir])
    ir = ir.astype(np.float32)
    logits = torch_forward(model, ir)
    model_bytes = torch_export_as(model, torch.zeros(1, 3, 32, 32), ["pixel_values"], ["logits"],
                                  {"pixel_values": {0: "batch_size"}, "logits": {0: "batch_size"}})
    cases = [{"inputs": {"pixel_values": nested(ir[i], ints=True)}, "outputs": {"logits": nested(logits[i])}}
             for i in range(len(ir))]
    return write_export(name, model_bytes, "torch",
                        "torch.onnx.export, opset_version=17, dynamic_axes={0: 'batch_size'} on input and output",
                        cases, note="logits of 10 classes: class = 5 x colour (red 0, green 1) + place (top-left, "
                                    "top-right, bottom-left, bottom-right, centre) of the bright square")


class QuantileForecaster(torch.nn.Module):
    """[batch, 6] -> [batch, 4, 2]: for each of 4 horizons the 10th and 90th percentile."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(6, 24), torch.nn.ReLU(), torch.nn.Linear(24, 8))

    def forward(self, features):
        return self.net(features).reshape(-1, 4, 2)


def build_torch_rank3():
    name = "torch-rank3-output"
    print(f"exports: {name}", flush=True)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(EXPORTS_SEED + 8)
    x = rng.normal(0, 1, (3000, 6)).astype(np.float32)
    trend = x[:, 0] + 0.5 * x[:, 1]
    y = (trend[:, None] * np.arange(1, 5)[None, :] + rng.normal(0, 1, (3000, 4)) * (1 + np.abs(x[:, 2:3])))
    y = y.astype(np.float32)
    q = torch.tensor([0.1, 0.9])
    model = QuantileForecaster()

    def pinball(a, b):
        err = b[:, :, None] - model(a)
        return torch.maximum(q * err, (q - 1) * err).mean()

    fit(model, (torch.from_numpy(x), torch.from_numpy(y)), pinball, epochs=15, batch=128, lr=1e-2, label="pinball")
    xr = np.concatenate([np.zeros((1, 6)), np.full((1, 6), -3), np.full((1, 6), 3),
                         rng.normal(0, 1, (N_EXPORT_CASES - 3, 6))]).astype(np.float32)
    out = torch_forward(model, xr)
    model_bytes = torch_export_as(model, torch.zeros(1, 6), ["features"], ["quantiles"],
                                  {"features": {0: "batch"}, "quantiles": {0: "batch"}})
    cases = [{"inputs": {"features": nested(xr[i])}, "outputs": {"quantiles": nested(out[i])}} for i in range(len(xr))]
    return write_export(name, model_bytes, "torch",
                        "torch.onnx.export, opset_version=17, dynamic_axes={0: 'batch'} on input and output", cases,
                        note="quantiles[h] = (10th, 90th percentile) of the value h + 1 steps ahead")


def build_exports():
    """Every fixture under test/fixtures/exports/, and nothing else."""
    return (build_sklearn_pipelines() + [build_sklearn_int_labels(), build_sklearn_label_encoded()]
            + build_xgboost_exports()
            + [build_torch_sigmoid(), build_torch_fixed_batch(), build_torch_lstm(), build_torch_cnn(),
               build_torch_rank3()])


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
    ap.add_argument("--exports", action="store_true",
                    help="write only test/fixtures/exports/ (models as skl2onnx, onnxmltools and torch export them)")
    ap.add_argument("--text", action="store_true",
                    help="write only models/review-sentiment/ and models/review-embedding/ (the text models)")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    np.random.seed(SEED)

    if args.exports:
        build_exports()
        return 0
    if args.text:
        build_text()
        return 0

    # Task Latency
    x_tr, y_tr, x_te, y_te = make_dataset()
    print(f"latency data: {len(x_tr)} train / {len(x_te)} held-out rows; p50 median {np.median(y_tr[:, 0]):.1f} ms, "
          f"p95 median {np.median(y_tr[:, 1]):.1f} ms", flush=True)
    build_mlp("request-latency",
              "Small MLP predicting p50 and p95 latency in ms of one HTTP request from payload size, instance load "
              "and per-request work.",
              hidden=(32, 32), epochs=60, batch=256, lr=3e-3,
              x_tr=x_tr, y_tr=y_tr, x_te=x_te, y_te=y_te, default=True)
    build_gbdt(x_tr, y_tr, x_te, y_te)
    print(f"wrote {write_latency_examples()}")

    # Task Churn
    c_tr, cy_tr, c_te, cy_te, gen_prob = make_churn_dataset()
    print(f"churn data: {len(cy_tr)} train / {len(cy_te)} held-out customers; class shares "
          f"{np.round(np.bincount(cy_tr) / len(cy_tr), 3).tolist()} ({', '.join(CLASSES)})", flush=True)
    build_churn_mlp(c_tr, cy_tr, c_te, cy_te, gen_prob)
    build_churn_gbdt(c_tr, cy_tr, c_te, cy_te, gen_prob)
    print(f"wrote {write_churn_examples()}")

    # Task Anomaly
    build_anomaly()
    path, n_anomalous = write_anomaly_examples()
    print(f"wrote {path} ({n_anomalous} anomalous)")

    # Tasks ReviewSentiment and ReviewEmbedding (one encoder, two exports)
    build_text()

    print(f"wrote {write_fixture()}")

    if args.heavy:
        model, _, _ = build_mlp(
            "request-latency-heavy",
            "Deliberately large MLP (3 x 1024 hidden units) with the request-latency interface, for load and "
            "batching tests; not shipped by default.",
            hidden=(1024, 1024, 1024), epochs=3, batch=256, lr=1e-3,
            x_tr=x_tr, y_tr=y_tr, x_te=x_te, y_te=y_te)
        print(f"  torch batch-1000 forward, 1 thread: {time_batch(model):.1f} ms (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
