import threading

from astraapi import FastAPI

pooled = FastAPI()
inline = FastAPI(sync_endpoints="inline")


def where():
    return {"main_thread": threading.current_thread() is threading.main_thread()}


pooled.get("/where")(where)
inline.get("/where")(where)
