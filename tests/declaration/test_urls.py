from __future__ import annotations

import pytest

from pal_provider.api import is_loopback_host
from pal_provider.declaration.urls import custom_llm_base_url_problems, tool_api_url_problems


@pytest.mark.parametrize(
    "url",
    [
        "https://contoso-openai.openai.azure.com/openai/deployments/gpt-4o",
        "https://api.example.com/v1",
        "http://127.0.0.1:8000/v1",
        "http://127.10.0.2/v1",
        "http://localhost:11434/v1",
        "http://[::1]:8000/v1",
    ],
)
def test_good_custom_llm_urls(url: str) -> None:
    assert custom_llm_base_url_problems(url) == []


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://api.example.com/v1/chat/completions", "route"),
        ("https://api.example.com/chat/completions/", "route"),
        ("http://10.0.0.5/v1", "https"),
        ("https://api.example.com/v1?api-version=1", "query"),
        ("https://k:s@api.example.com/v1", "credentials"),
        ("api.example.com/v1", "absolute"),
        ("ftp://api.example.com/v1", "scheme"),
        ("https://api.example.com:99999/v1", "absolute"),
    ],
)
def test_bad_custom_llm_urls(url: str, fragment: str) -> None:
    problems = custom_llm_base_url_problems(url)
    assert any(fragment in p.message for p in problems), problems


def test_loopback_hosts() -> None:
    assert is_loopback_host("localhost") and is_loopback_host("::1")
    assert not is_loopback_host("localhost.example.com")
    assert not is_loopback_host("10.0.0.1")


def test_tool_url_placeholders_and_private_hosts() -> None:
    assert tool_api_url_problems("https://hooks.example.com/c/{candidate_id}/x") == []
    assert tool_api_url_problems("https://127.0.0.1/x")
    assert tool_api_url_problems("https://192.168.1.4/x")
    assert tool_api_url_problems("https://localhost/x")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://tavusapi.com/v2 ", "spaces around it"),
        (" https://tavusapi.com/v2", "spaces around it"),
        ("https://tavusapi.com", "does not end with the API version /v2"),
        ("https://tavusapi.com/v1", "does not end with the API version /v2"),
    ],
)
def test_api_base_url_mistakes_caught_offline(url: str, message: str) -> None:
    from pal_provider.declaration.urls import api_base_url_problems

    problems = api_base_url_problems(url)
    assert any(message in problem.message for problem in problems), problems
    assert api_base_url_problems("https://tavusapi.com/v2") == []
    assert api_base_url_problems("http://127.0.0.1:8787/v2/") == []


def test_a_trailing_space_in_a_custom_llm_url_is_caught() -> None:
    problems = custom_llm_base_url_problems("https://llm.example.com/v1 ")
    assert any("spaces around it" in p.message for p in problems)
