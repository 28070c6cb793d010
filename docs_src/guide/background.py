from astraapi import BackgroundTasks, FastAPI

app = FastAPI()
SENT: list[str] = []


def send_email(to: str, subject: str) -> None:
    SENT.append(f"{to}: {subject}")


@app.post("/signup")
def signup(email: str, tasks: BackgroundTasks):
    tasks.add_task(send_email, email, "Welcome")  # runs after the response is sent
    return {"ok": True}
