"""A blog: enum and path-convertor parameters, an OAuth2 password form login, cookies, redirects, custom
status codes, response-model filtering, class dependencies, yield dependencies that see errors, and
background tasks, for the example-app set (tests/compat/test_example_apps.py)."""

import asyncio
from datetime import date
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, Field

from astraapi import BackgroundTasks, Cookie, Depends, FastAPI, Form, HTTPException, Request, Response, status
from astraapi.responses import JSONResponse, RedirectResponse
from astraapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm

app = FastAPI(title="Blog", description="Posts and **authors**.", openapi_tags=[
    {"name": "posts", "description": "Blog posts"}, {"name": "auth"}])
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"write": "Write posts"})
EVENTS: list[str] = []


class Category(str, Enum):
    news = "news"
    howto = "how-to"


class PostIn(BaseModel):
    title: str = Field(max_length=20)
    body: str = ""
    published: date | None = None
    category: Category = Category.news


class PostOut(BaseModel):
    id: int
    title: str
    body: str = ""
    published: date | None = None
    category: Category = Category.news
    rating: float | None = None


POSTS = {1: {"id": 1, "title": "Hello", "published": date(2024, 5, 1), "rating": 4.5}}


class Pagination:
    def __init__(self, page: int = 1, size: Annotated[int, Field(le=50)] = 10):
        self.page, self.size = page, size


def session():
    EVENTS.append("session open")
    try:
        yield "db"
    except HTTPException as error:
        EVENTS.append(f"session saw {error.status_code}")
        raise
    finally:
        EVENTS.append("session closed")


@app.post("/token", tags=["auth"])
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    if form.password != "pw":
        raise HTTPException(400, "Incorrect username or password")
    return {"access_token": form.username, "token_type": "bearer", "scopes": form.scopes}


@app.get("/posts", tags=["posts"], response_model=list[PostOut], response_model_exclude_unset=True)
def list_posts(pages: Annotated[Pagination, Depends()], category: Category | None = None):
    return [p for p in POSTS.values()][(pages.page - 1) * pages.size:pages.page * pages.size]


@app.get("/posts/{post_id}", tags=["posts"], response_model=PostOut, response_model_exclude_none=True)
def read_post(post_id: int, db: Annotated[str, Depends(session)]):
    if post_id not in POSTS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail={"post": post_id, "reason": "missing"})
    return POSTS[post_id]


@app.post("/posts", tags=["posts"], status_code=status.HTTP_202_ACCEPTED, response_model=PostOut)
def create_post(post: PostIn, token: Annotated[str, Depends(oauth2)], tasks: BackgroundTasks, response: Response):
    post_id = len(POSTS) + 1
    POSTS[post_id] = {"id": post_id, **post.model_dump()}
    tasks.add_task(EVENTS.append, f"{token} wrote {post_id}")
    response.headers["location"] = f"/posts/{post_id}"
    return POSTS[post_id]


@app.get("/categories/{category}")
def by_category(category: Category):
    return {"category": category, "is_news": category is Category.news}


@app.get("/files/{file_path:path}")
def read_file(file_path: str):
    return {"file_path": file_path}


@app.get("/old")
def old():
    return RedirectResponse("/posts", status_code=301)


@app.get("/prefs")
def prefs(theme: Annotated[str | None, Cookie()] = None):
    response = JSONResponse({"theme": theme}, status_code=203)
    response.set_cookie("theme", "dark", httponly=True, samesite="strict", path="/prefs")
    response.delete_cookie("old")
    return response


@app.post("/subscribe")
def subscribe(email: Annotated[str, Form(pattern=r"^[^@]+@[^@]+$")] = "x@example.com", request: Request = None):
    return {"email": email, "ctype": request.headers.get("content-type", "").split(";")[0]}


@app.get("/events")
async def events():
    # A real server runs background tasks after sending the answer: wait for the post's task.
    for _ in range(500):
        if EVENTS and EVENTS[-1].endswith("wrote 2"):
            break
        await asyncio.sleep(0.01)
    return EVENTS[-4:]


REQUESTS = [
    ("POST", "/token", {"data": {"username": "ann", "password": "pw", "scope": "write read"}}),
    ("POST", "/token", {"data": {"username": "ann", "password": "no"}}),
    ("POST", "/token", {"data": {"username": "ann"}}),
    ("GET", "/posts", {}),
    ("GET", "/posts?page=1&size=51", {}),
    ("GET", "/posts?category=blog", {}),
    ("GET", "/posts/1", {}),
    ("GET", "/posts/9", {}),
    ("HEAD", "/posts/1", {}),
    ("POST", "/posts", {"json": {"title": "Second", "published": "2024-06-01", "category": "how-to"},
                        "headers": {"authorization": "Bearer ann"}}),
    ("POST", "/posts", {"json": {"title": "x" * 30, "published": "June"}, "headers": {"authorization": "Bearer a"}}),
    ("POST", "/posts", {"json": {"title": "t"}}),
    ("GET", "/categories/how-to", {}),
    ("GET", "/categories/other", {}),
    ("GET", "/files/a/b/c.txt", {}),
    ("GET", "/old", {}),
    ("GET", "/prefs", {"cookies": {"theme": "light"}}),
    ("POST", "/subscribe", {"data": {"email": "ann@example.com"}}),
    ("POST", "/subscribe", {"data": {"email": "nope"}}),
    ("GET", "/events", {}),
    ("GET", "/openapi.json", {}),
    ("GET", "/docs", {}),
]
