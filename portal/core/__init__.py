"""The platform core: what every app uses and that imports no app.

Domain errors, tenancy, addresses (phone numbers, e-mail), the event outbox and its registry,
bulk/COPY helpers, shared counters, the outbound HTTP guard and the rules-version bump. Nothing
here imports `accounts`, `contacts`, `messaging`, `voice` or the project wiring (an import-linter
contract checks it).
"""
