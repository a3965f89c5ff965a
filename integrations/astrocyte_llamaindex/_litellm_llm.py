"""`llm_from_env()`: LlamaIndex's `LiteLLM` when ASTROCYTE_LLM_MODEL names a model, else the offline stand-in.

    from llama_index.core.agent.workflow import FunctionAgent
    from astrocyte_llamaindex import llm_from_env

    agent = FunctionAgent(llm=llm_from_env(), tools=tools)   # offline unless ASTROCYTE_LLM_MODEL is set

The real model is `llama_index.llms.litellm.LiteLLM` at temperature 0, as astrocyte's own chat model, so it
reaches any provider LiteLLM supports and does function calling for FunctionAgent where the model can. A
provider failure surfaces as LlamaIndex's LiteLLM raises it: a litellm exception (an `openai.OpenAIError`),
after LlamaIndex's own retries of rate limits, timeouts and connection errors.
"""

from __future__ import annotations

from llama_index.core.llms import LLM

from astrocyte.adapters import LITELLM_PLAIN_TOOLS, import_litellm, model_from_env
from astrocyte_llamaindex._offline import offline_llm


def llm_from_env(offline: LLM | None = None) -> LLM:
    """`LiteLLM` for the model ASTROCYTE_LLM_MODEL names; without it `offline`, or `offline_llm()`."""
    model = model_from_env()
    if not model:
        return offline if offline is not None else offline_llm()
    import_litellm()
    from llama_index.llms.litellm import LiteLLM

    return LiteLLM(model=model, temperature=0.0, additional_kwargs=dict(LITELLM_PLAIN_TOOLS))
