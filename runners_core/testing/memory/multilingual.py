"""Search beyond English: Unicode normalisation and scripts written without spaces."""

from __future__ import annotations

import unicodedata

from runners_core.memory.base import BaseMemoryService
from runners_core.testing.memory.suite import MemorySuite, texts

CAPABILITY = None


class Multilingual(MemorySuite):
    async def _search(self, service: BaseMemoryService, query: str, *stored: str) -> list[str]:
        session = self.session_with(*stored)
        await service.add_session_to_memory(session)
        found = await service.search_memory(
            app_name=session.app_name, user_id=session.user_id, query=query
        )
        return texts(found)

    async def test_decomposed_and_composed_text_match(self, service: BaseMemoryService) -> None:
        decomposed = unicodedata.normalize("NFD", "Café Müller opens at nine")
        got = await self._search(service, "café", decomposed, "tea house")
        assert got == [decomposed], (
            f"memory multilingual: text is NFC-normalised, so 'café' finds decomposed text: {got}"
        )
        got = await self._search(service, unicodedata.normalize("NFD", "Müller"), "Müller's bakery")
        assert got == ["Müller's bakery"], (
            f"memory multilingual: a decomposed query must find composed text: {got}"
        )

    async def test_japanese_and_chinese_words_are_found_inside_text(
        self, service: BaseMemoryService
    ) -> None:
        got = await self._search(service, "太郎", "私の名前は太郎です", "今日は晴れです")
        assert got == ["私の名前は太郎です"], (
            f"memory multilingual: '太郎' must be found inside Japanese text: {got}"
        )
        got = await self._search(service, "北京", "我明天去北京开会", "上海很热")
        assert got == ["我明天去北京开会"], (
            f"memory multilingual: '北京' must be found inside Chinese text: {got}"
        )

    async def test_latin_words_inside_cjk_text_are_found(self, service: BaseMemoryService) -> None:
        got = await self._search(service, "python", "東京でPythonを書く", "東京で寿司を食べる")
        assert got == ["東京でPythonを書く"], (
            f"memory multilingual: a Latin word inside CJK text must be found: {got}"
        )

    async def test_thai_words_are_found_inside_text(self, service: BaseMemoryService) -> None:
        got = await self._search(service, "กาแฟ", "ฉันชอบกาแฟเย็น", "วันนี้ฝนตก")
        assert got == ["ฉันชอบกาแฟเย็น"], (
            f"memory multilingual: 'กาแฟ' must be found inside Thai text: {got}"
        )

    async def test_default_limit_is_ten_and_ties_keep_insertion_order(
        self, service: BaseMemoryService
    ) -> None:
        stored = [f"heron sighting {i}" for i in range(12)]
        got = await self._search(service, "heron", *stored)
        assert got == stored[:10], (
            "memory multilingual: by default search returns 10 memories, equal matches in "
            f"the order they were added (as ADK): {got}"
        )
