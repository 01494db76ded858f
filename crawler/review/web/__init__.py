"""The read-only review web page (`marsad web`): the routes (`app.create_app`), the query
string's filters (`filters`), CSV/JSONL exports (`exports`), the Jinja environment
(`templating`) and the GET-only guard with its security headers (`security`)."""
