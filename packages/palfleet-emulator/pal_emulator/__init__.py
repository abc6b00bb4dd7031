"""The PAL API emulator: an independent implementation of ``../shared/pal-api.md``.

It imports nothing from ``pal_provider`` outside this package, so a modelling
mistake in the reconciler cannot hide in it. Run it with
``palfleet emulator --port 0`` or ``python -m pal_emulator --port 0``:
the first stdout line is ``palfleet emulator listening on http://127.0.0.1:PORT``;
the API is served under ``/v2``; ``GET /_emulator/health`` answers 200 once ready.
State lives in SQLite: a file with ``--db FILE`` (a restart loses nothing), in
memory otherwise. Default api key: ``emulator-key``.

Decisions where the contract leaves room
----------------------------------------
* Not found (and malformed ids) answer 400 ``{"error": "Invalid pal_id"}``
  (``Invalid persona_id`` on ``/personas``), and ``{"error": "Invalid tool_id"}``
  for tools.
* A PAL document (POST answer, GET, list items, PATCH answer) is the full stored
  document, flat, in the vocabulary of the path called, with ``tool_ids`` (the
  attached registry tools, in attach order, always present, possibly ``[]``) and
  the server-owned ``pal_id``, ``pal_type`` (``user``/``system``; legacy
  ``persona_type``), ``owner_id``, ``created_at``, ``updated_at`` and, when a
  conferencing username is set, ``conferencing_email``.
* Server-owned fields cannot be written: on create they answer 400; a PATCH whose
  result changes ``pal_id`` or ``conferencing_email`` answers 400 ``{"error": "<field> is
  set by the server and cannot be patched"}`` (a ``test`` op on them is fine). The
  server-owned fields of the official client's schema (``uuid``, ``owner_id``,
  ``created_at``, ``updated_at``, ``session_id``, ``is_draft``, ``source_template_id``,
  ``registration_id``, ``pal_settings_id``, ``pal_type``, ``pal_url``, ``test_url``,
  ``deploy_url``) are accepted on PATCH and ignored (revision 2).
* ``tool_ids`` may be patched like any field: the attachments follow (same rules
  as ``POST /pals/{id}/tools``: existing registry tools, at most 50, never ``end_call``).
* Unknown top-level fields, unknown layers and unknown fields inside a layer are
  400 naming the field (the official client's extra fields are in the field lists).
  ``null`` for an optional field means "absent".
* Server defaults (§2.4): ``pipeline_mode`` ``full``; in full mode ``layers.llm``
  gets ``model`` = the catalog default (``catalog.json``) when there is no
  ``base_url``, and ``speculative_inference: true`` when omitted;
  conversational flow, once any field is set, gets ``turn_detection_model``
  ``sparrow-1``, ``turn_taking_patience`` ``medium``, ``face_interruptibility``
  ``medium``; ``layers.tts.pronunciation_dictionary_id`` makes the server write
  ``voice_settings.pronunciation_dict_ids`` (cartesia, the default engine),
  ``pronunciation_dictionary_locators`` (elevenlabs) or ``custom_lexicon_ids``
  (azure), recomputed on every write.
* ``default_face_id``, when given, must name a known face (the stock faces of
  ``seed_data.py``, which include the ids of Tavus's own examples, or faces added through
  ``/_emulator/seed``). Revision 2: a PAL may have no face; ``layers.conferencing`` and a
  conversation without ``face_id`` need one.
* ``document_ids``, ``guardrail_ids`` and ``objectives_id`` must name records of this
  account: 400 ``{"error": "<field>: Invalid <kind>_id <id>"}`` otherwise (a promotion that
  copied another environment's ids is refused).
* Guardrails (``g`` + 11 hex), objective sets (``o`` + 11 hex) and conversations (``c`` +
  11 hex) live in ``account_records.py``; guardrail and objective PATCHes are JSON Patch,
  answered 200 with the document, 304 when nothing changed, 422 for a bad patch or a failed
  ``test``, 400 when the result breaks a rule. Knowledge-base documents (``d`` + 11 hex)
  exist only through ``/_emulator/seed`` (``documents``).
* Outside the contract, ``GET /voices``, ``/skills``, ``/pronunciation-dictionaries`` answer
  empty lists and ``GET /pals/{id}/skills`` ``{"data": {}}``: ``tavus pal options`` reads
  them.
* Secrets: ``layers.llm.api_key``, ``layers.tts.api_key`` and tool auth secrets
  (``token``, ``password``, ``value``, ``secret``, ``client_secret``) are stored and
  echoed as ``********``. A JSON Patch that leaves or writes ``********`` in an LLM/TTS
  ``api_key`` keeps the stored secret unchanged (the document the patch sees is the
  masked GET view, so e.g. ``replace /layers/llm`` with a copy of what GET returned
  must not wipe the key); when no secret is stored there, ``********`` is 400. A tool
  PATCH carrying ``********`` in an auth secret is 400; omitting the field keeps the
  stored secret when the auth type is unchanged.
* PATCH: strict RFC 6902 through the ``jsonpatch`` library (``patching``),
  atomic; pointers may use either vocabulary; 304 with an empty body when nothing
  changes; 422 ``{"message": "Invalid JSON patch format"}`` for a body that is not
  valid JSON, a malformed op, a bad pointer or a failed ``test``; 400 naming the field
  when the result is an invalid PAL. System PALs are read-only (400).
* Maker drafts: while a draft is set, a PATCH answers 409 ``{"conflict":
  "maker_changes", "message": ...}``; ``?force=true`` applies the patch, discards the
  draft and adds ``"discarded_maker_changes": true`` to the 200 body (also when the
  patch itself changed nothing). A PATCH all of whose pointers are under
  ``/layers/conferencing`` is never 409 and keeps the draft.
* Lists: newest first; ``page`` 1-based (``page<=0`` is 1), ``limit`` default 10,
  capped at 100. ``GET /pals`` without ``pal_type`` lists user and system PALs.
  ``GET /tools``: ``type`` default ``user``, ``sort`` default ``desc``,
  ``name_or_uuid`` matches a name substring (case-insensitive) or an exact tool id.
* Tools: ``static_filler`` is the text field used with ``on_call: static_filler``;
  ``end_call`` is listed with ``type=system|all`` and readable with
  ``GET /tools/end_call`` but can never be created (its name is taken), updated,
  deleted or attached (400). Soft delete frees the name and detaches everywhere.
* Ids: PAL ``p`` + 11 hex, face ``r`` + 11 hex, tool ``t`` + 12 lowercase alnum, from
  persistent counters (never reused, not even after a reset). Timestamps
  ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
* Auth is checked before anything else of the API (after fault rules): 401
  ``{"message": "Invalid access token"}``. Trailing slashes are ignored everywhere.

Test-only controls (``/_emulator``; JSON; no api key; not in the request log, not
subject to faults, hidden from the OpenAPI description)
-------------------------------------------------------------------------------
* ``GET /_emulator/health`` -> ``{"status": "ok"}``.
* ``POST /_emulator/reset`` body ``{"seed": true, "faults": true, "requests": true}``
  (all optional): wipe PALs, tools, attachments, drafts and faces, re-seed stock PALs
  and faces unless ``seed`` is false, clear fault rules and the request log unless told
  not to.
* ``POST /_emulator/seed`` body ``{"pals": [...], "tools": [...], "faces": [...],
  "validate": true}``: bulk insert in one transaction; PALs and tools may carry explicit
  ids, ``created_at``/``updated_at``, ``pal_type`` (``system`` for stock PALs) and
  ``tool_ids``; with ``validate: false`` PALs skip the field rules (fast, and lets tests
  plant documents the API would refuse). Answers ``{"pals": [ids], "tools": [ids],
  "faces": [ids]}``. ``GET /_emulator/faces`` lists faces.
* ``POST /_emulator/faults`` body ``{"method": "*", "path": "*", "path_regex": null,
  "status": null, "retry_after": null, "latency_ms": null, "drop": null|"before"|"after",
  "body": null, "times": null, "probability": null, "seed": null}`` -> ``{"id": ...}``.
  ``path`` is a glob over the request path (``/v2/pals/*``; ``*`` crosses ``/``),
  ``path_regex`` a regular expression searched in it. Effects: ``latency_ms`` (an async
  sleep; it never blocks other requests; latencies of all firing rules add up), an
  error ``status`` with a JSON ``{"message": ...}`` body (or the raw text ``body``),
  ``retry_after`` (seconds; answers 429 unless ``status`` says otherwise, with a
  ``Retry-After`` header), ``drop: "before"`` (the socket is closed before the request
  is processed: nothing is written) or ``drop: "after"`` (the request is fully processed
  and committed, then the socket is closed instead of answering). ``times`` limits how
  often a rule fires; ``probability`` draws from ``random.Random(seed)``. Rules are
  evaluated in insertion order; the first firing error/drop wins.
  ``GET /_emulator/faults`` lists rules with ``fired`` and ``remaining``;
  ``DELETE /_emulator/faults`` clears them; ``DELETE /_emulator/faults/{id}`` removes one.
* ``POST /_emulator/pals/{id}/maker-draft`` (optional body ``{"changes": {...}}``) sets a
  PAL Maker draft; ``DELETE`` the same path clears it.
* ``PATCH /_emulator/pals/{id}`` body: an RFC 7386 merge patch applied to the stored
  document without any API rule (drift, corrupt documents); ``DELETE /_emulator/pals/{id}``
  deletes out of band (system PALs too).
* ``GET /_emulator/requests`` -> ``{"total", "counts": {"GET /v2/pals/{id}": n, ...},
  "entries": [{"method", "path", "path_template", "status", "duration_ms", "at",
  "fault"}]}`` (status 0 for a connection dropped before processing);
  ``DELETE /_emulator/requests`` clears it.

``control.EmulatorControl`` is the client of these controls; ``process.start_emulator``
runs the emulator as a subprocess.
"""
