"""Webhooks: documented under "webhooks", sharing component schemas with the routes; never served."""

from datetime import datetime

from pydantic import BaseModel

from FRAMEWORK import FastAPI

app = FastAPI()


class Subscription(BaseModel):
    username: str
    monthly_fee: float
    start_date: datetime


@app.webhooks.post("new-subscription")
def new_subscription(body: Subscription):
    """When a new user subscribes, we send this request to the URL you registered."""


@app.get("/users/")
def read_users() -> list[Subscription]:
    return []


# A mount among the routes: documented by neither; get_openapi must still tell routes from webhooks.
app.mount("/admin", FastAPI())


@app.get("/plans")
def read_plans() -> list[str]:
    return []
