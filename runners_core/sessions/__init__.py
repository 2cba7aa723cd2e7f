"""Session services: the contract (:mod:`.base`) and the in-memory implementation."""
