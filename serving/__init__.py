"""The serving stack the gate verifies: FastAPI, three models, the metric contract."""
