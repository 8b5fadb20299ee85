"""Layer 7, pipeline: notebook execution, the batch and its manifest."""
from .batch import BatchResult, CustomerRun, ModelRun, run_batch, run_customer, run_model
from .engines import execute_notebook
from .manifest import MODEL_NOTEBOOK, PIPELINE, code_digest

__all__ = ["BatchResult", "CustomerRun", "ModelRun", "run_batch", "run_customer", "run_model", "execute_notebook",
           "MODEL_NOTEBOOK", "PIPELINE", "code_digest"]
