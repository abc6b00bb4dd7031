"""Sample program: a shelf (secret input, additional secret output) and a book on it.

Knobs (stack config, project ``sample``): shelfLabel, shelfPassword (secret), bookTitle,
withBook ("false" removes the book), bookFailOn / shelfFailOn (comma lists of create,update,delete),
shelfKind (a change replaces the shelf), shelfDeleteBeforeReplace, shelfSleep / bookSleep
(seconds a create or update takes), shelfComment (not compared: a change alone is a same step),
showExecutor ("true" exports the size of the program's default executor).
"""

import asyncio

import pulumi
from sample_records.provider import Record

config = pulumi.Config()

shelf = Record(
    "shelf",
    {
        "kind": config.get("shelfKind") or "shelf",
        "title": config.get("shelfLabel"),
        "password": config.require_secret("shelfPassword"),
        "fail_on": [item for item in (config.get("shelfFailOn") or "").split(",") if item],
        "sleep": config.get("shelfSleep"),
        "comment": config.get("shelfComment"),
    },
    opts=pulumi.ResourceOptions(
        additional_secret_outputs=["token"],
        delete_before_replace=config.get_bool("shelfDeleteBeforeReplace") or False,
    ),
)
pulumi.export("shelf_id", shelf.id)
pulumi.export("shelf_token", shelf.token)

if config.get_bool("withBook") is not False:
    fail_on = [item for item in (config.get("bookFailOn") or "").split(",") if item]
    book = Record(
        "book",
        {
            "kind": "book",
            "title": config.get("bookTitle") or "Dune",
            "shelf_id": shelf.id,
            "fail_on": fail_on,
            "sleep": config.get("bookSleep"),
        },
    )
    pulumi.export("book_id", book.id)
    pulumi.export("book_shelf", book.title.apply(lambda title: f"{title} on shelf"))

if config.get("showExecutor") == "true":
    executor = getattr(asyncio.get_event_loop(), "_default_executor", None)
    pulumi.export("executor_workers", executor._max_workers if executor else None)
