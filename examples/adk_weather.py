"""An LLM agent (google.adk ``LlmAgent`` with two tools) run by runners-core.

Run it (from the repository root, after ``bash scripts/setup.sh``, which installs
runners-adk and google-adk)::

    .venv/bin/runners run examples/adk_weather.py:root_agent -m "hi"
    .venv/bin/runners run examples/adk_weather.py:root_agent -m "weather in Paris in F?"

With no key it uses a scripted model (no network): it calls ``get_weather`` for
a city it finds in the message, ``convert_temperature`` when asked for °F, and
answers from the tool results. Set ``GOOGLE_API_KEY`` (Gemini) to run the same
agent on a real model (``RUNNERS_EXAMPLE_MODEL`` picks it, default
``gemini-2.5-flash``). ``runners run`` wraps the ADK agent in
``runners_adk.AdkAgent`` by itself; sessions go to the embedded SQLite default.
"""

from __future__ import annotations

import os
import re
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from runners_adk.scripted import ScriptedLlm, call, text

CITIES = {"paris": 21.0, "oslo": 4.0, "tokyo": 18.5, "cairo": 33.0}


def get_weather(city: str) -> dict[str, Any]:
    """The current temperature (°C) and sky in *city*."""
    temp = CITIES.get(city.lower())
    if temp is None:
        return {"error": f"no weather station in {city}", "known": sorted(CITIES)}
    return {"city": city.title(), "temp_c": temp, "sky": "clear"}


def convert_temperature(celsius: float) -> dict[str, float]:
    """*celsius* in degrees Fahrenheit."""
    return {"fahrenheit": round(celsius * 9 / 5 + 32, 1)}


def scripted_reply(request: LlmRequest) -> LlmResponse:
    """What a model would answer, decided from the conversation so far."""
    last = request.contents[-1] if request.contents else None
    parts = last.parts if last and last.parts else []
    results = {
        p.function_response.name: p.function_response.response for p in parts if p.function_response
    }
    wants_f = any(
        p.text and re.search(r"\b(f|fahrenheit)\b", p.text, re.I)
        for c in request.contents
        if c.role == "user"
        for p in c.parts or []
    )
    if "get_weather" in results:
        weather = results["get_weather"]
        if "error" in weather:
            return text(f"Sorry, {weather['error']}. I know {', '.join(weather['known'])}.")
        if wants_f:
            return call("convert_temperature", celsius=weather["temp_c"])
        return text(f"It is {weather['temp_c']}°C and {weather['sky']} in {weather['city']}.")
    if "convert_temperature" in results:
        return text(f"That is {results['convert_temperature']['fahrenheit']}°F.")
    said = " ".join(p.text for p in parts if p.text)
    city = next((c for c in CITIES if c in said.lower()), None)
    if city is None and (m := re.search(r"weather in ([A-Za-z]+)", said, re.I)):
        city = m.group(1)
    if city:
        return call("get_weather", city=city)
    return text("Hi! Ask me about the weather in Paris, Oslo, Tokyo or Cairo.")


def build_model() -> Any:
    if os.environ.get("GOOGLE_API_KEY"):
        return os.environ.get("RUNNERS_EXAMPLE_MODEL", "gemini-2.5-flash")
    return ScriptedLlm(model="scripted-weather", script=[scripted_reply], loop=True)


root_agent = LlmAgent(
    name="weather_assistant",
    model=build_model(),
    description="Answers questions about the weather.",
    instruction=(
        "You answer weather questions. Call get_weather for the city; if the user "
        "wants Fahrenheit, call convert_temperature with the temperature in Celsius."
    ),
    tools=[get_weather, convert_temperature],
)
