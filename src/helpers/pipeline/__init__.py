"""Layer 7, pipeline: notebook execution, the batch, its manifest, the evidence reports carry and ``verify``."""
from .batch import BatchResult, CustomerRun, ModelRun, run_batch, run_customer, run_model
from .engines import execute_notebook
from .manifest import MODEL_NOTEBOOK, PIPELINE, code_digest
from .verify import Verification, verification_lines, verify_pdf

__all__ = ["BatchResult", "CustomerRun", "ModelRun", "run_batch", "run_customer", "run_model", "execute_notebook",
           "MODEL_NOTEBOOK", "PIPELINE", "code_digest", "Verification", "verify_pdf", "verification_lines"]
