"""Routes chosen to exercise FastAPI's matching rules: declaration order, partial matches,
convertors, a ':path' tail, trailing slashes."""

from astraapi import FastAPI

app = FastAPI()


@app.get("/")
def root():
    return "root"


@app.get("/items")
def list_items():
    return "list"


@app.post("/items")
def create_item():
    return "create"


@app.get("/items/{item_id}")
def read_item(item_id: str):
    return item_id


@app.get("/items/special")
def special():
    return "shadowed by /items/{item_id}, declared earlier"


@app.delete("/items/special")
def delete_special():
    return "reachable: the first full match for DELETE"


@app.get("/users/me")
def me():
    return "me"


@app.get("/users/{user_id}/orders/{order_id}")
def order(user_id: str, order_id: str):
    return [user_id, order_id]


@app.get("/files/{file_path:path}")
def read_file(file_path: str):
    return file_path


@app.get("/numbers/{n:int}")
def integer(n: int):
    return n


@app.get("/numbers/{x:float}")
def floating(x: float):
    return x


@app.get("/ids/{value:uuid}")
def by_uuid(value: str):
    return value


@app.put("/slash/")
def slash():
    return "slash"


@app.api_route("/multi", methods=["GET", "POST", "PATCH"])
def multi():
    return "multi"


@app.get("/ünï/{name}")
def unicode_route(name: str):
    return name


@app.api_route("/search/{kind}", methods=["QUERY"])  # an extension method (no method bit of its own)
def search(kind: str):
    return {"query": kind}
