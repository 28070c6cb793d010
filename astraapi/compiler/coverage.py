"""How much of an app the build compiles: the share of routes fully compiled and each reason a
route falls back, with its count (for `astraapi inspect` and the build summary).

A route is fully compiled when its response has a generated serializer and its request needs no
decoding or has a generated request decoder. The reasons are the planners' own texts, counted per
route (a response reason and a request reason of one route count once each)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# Decoder "fallbacks" that are no fallback: the route has nothing for a request decoder to do.
_NOTHING_TO_DECODE = ("no parameters to decode", "nothing to decode")


def needs_no_decoder(why: str | None) -> bool:
    return why is not None and why.endswith(_NOTHING_TO_DECODE)


@dataclass(frozen=True)
class Coverage:
    routes: int
    serializers: int  # routes with a generated response serializer
    decoding: int  # routes whose request has something to decode
    decoders: int  # of those, routes with a generated request decoder
    fully: int  # routes fully compiled
    reasons: list[tuple[str, str, int]] = field(default_factory=list)  # (what, why, routes), most first

    @property
    def share(self) -> float:
        return self.fully / self.routes if self.routes else 1.0

    def lines(self) -> list[str]:
        def pct(part: int, whole: int) -> str:
            return f"{100 * part / whole:.0f}%" if whole else "-"

        out = [f"fully compiled: {self.fully} of {self.routes} routes ({pct(self.fully, self.routes)}); "
               f"response serializer: {self.serializers} of {self.routes} ({pct(self.serializers, self.routes)}); "
               f"request decoder: {self.decoders} of {self.decoding} routes with something to decode "
               f"({pct(self.decoders, self.decoding)})"]
        if self.reasons:
            out.append("why routes fall back (routes, reason):")
            out += [f"  {count:>4}  {what}: {why}" for what, why, count in self.reasons]
        return out


def coverage(route_indexes, serializer_fallbacks: dict[int, str], decoder_fallbacks: dict[int, str]) -> Coverage:
    """`serializer_fallbacks` / `decoder_fallbacks`: route index -> why it has no generated serializer /
    request decoder (a route absent from the first has a serializer, from the second a decoder)."""
    indexes = [int(i) for i in route_indexes]
    serializer_fallbacks = {int(i): why for i, why in serializer_fallbacks.items()}
    decoder_fallbacks = {int(i): why for i, why in decoder_fallbacks.items()}
    counts: Counter[tuple[str, str]] = Counter()
    serializers = decoding = decoders = fully = 0
    for index in indexes:
        response_why = serializer_fallbacks.get(index)
        request_why = decoder_fallbacks.get(index)
        nothing = needs_no_decoder(request_why)
        serializers += response_why is None
        decoding += not nothing
        decoders += request_why is None
        fully += response_why is None and (request_why is None or nothing)
        if response_why is not None:
            counts[("response", response_why)] += 1
        if request_why is not None and not nothing:
            counts[("request", request_why)] += 1
    reasons = [(what, why, count) for (what, why), count in
               sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return Coverage(len(indexes), serializers, decoding, decoders, fully, reasons)
