from astraapi import FastAPI
from astraapi.middleware.cors import CORSMiddleware
from astraapi.middleware.gzip import GZipMiddleware

app = FastAPI()
# Both run natively, in the C++ runtime: no Python call per request for them.
app.add_middleware(CORSMiddleware, allow_origins=["https://example.com"], allow_methods=["*"])
app.add_middleware(GZipMiddleware, minimum_size=500)


@app.get("/ping")
def ping():
    return {"pong": True}


@app.get("/report")
def report():
    return {"rows": [{"id": i, "name": f"row {i}"} for i in range(100)]}
