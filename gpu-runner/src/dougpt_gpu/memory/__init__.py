"""Voice memory: retrieval of similar past moments (functions/memory/memory-index.ts is the TypeScript twin)."""
