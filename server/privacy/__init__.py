"""A family's data rights: export everything the server keeps of it, and erase a child or all of it.

| module | owns |
|---|---|
| ``holdings`` | every table with family rows: how its rows belong to a family and a child |
| ``export`` | the JSON document, the ledger's CSV and the zip of both |
| ``erasure`` | asking, calling off and running erasures; the background job |
| ``services`` | who may, for the routes |
| ``controllers`` | the routes |
"""
