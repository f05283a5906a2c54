"""The reference a Python team would write: FastAPI + XGBoost serving request-latency-gbdt's own trees
(models/request-latency-gbdt/model.xgb.json) with a batch endpoint, one DataFrame and one predict per
request. bench:load drives it beside predictql with the same inputs; it is not part of predictql.

    /usr/bin/python3 test/bench/reference-service.py PORT WORKERS

POST /predict {"inputs": [{payloadKb, concurrency, ...}, ...]} -> {"predictions": [{"p50Ms", "p95Ms"}, ...]}
Needs Debian's python3-fastapi, python3-uvicorn, python3-uvloop, python3-httptools, python3-xgboost,
python3-pandas (bench:load installs nothing; it skips the reference when they are missing).
"""
import os
import sys

import numpy as np
import pandas as pd
import uvicorn
import xgboost as xgb
from fastapi import FastAPI
from pydantic import BaseModel

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "..", "models", "request-latency-gbdt", "model.xgb.json")
FEATURES = ["payloadKb", "concurrency", "cpuUtilization", "memoryUtilization", "cacheHitRatio", "dbQueries",
            "downstreamCalls", "hourOfDay"]

booster = xgb.Booster()
booster.load_model(MODEL)
booster.set_param({"nthread": 1})


class Features(BaseModel):
    payloadKb: float
    concurrency: float
    cpuUtilization: float
    memoryUtilization: float
    cacheHitRatio: float
    dbQueries: float
    downstreamCalls: float
    hourOfDay: float


class Batch(BaseModel):
    inputs: list[Features]


app = FastAPI()


@app.post("/predict")
def predict(batch: Batch):
    frame = pd.DataFrame([i.dict() for i in batch.inputs], columns=FEATURES, dtype=np.float32)
    # The manifest's composition: margin m = [log p50, log(p95/p50)].
    m = booster.predict(xgb.DMatrix(frame, feature_names=FEATURES), output_margin=True)
    p50 = np.exp(m[:, 0])
    p95 = np.exp(m[:, 0] + np.maximum(m[:, 1], 0))
    return {"predictions": [{"p50Ms": float(a), "p95Ms": float(b)} for a, b in zip(p50, p95)]}


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run("reference-service:app", app_dir=HERE, host="127.0.0.1", port=port, workers=workers,
                loop="uvloop", http="httptools", log_level="warning", access_log=False)
