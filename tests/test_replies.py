"""The replies pass and label probabilities: a statement answers another only where the model,
shown both, says so and is sure of it; its stance says where it came from."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from summarizer._claims import Attributed, Reply, link, sentence_quote, stance
from summarizer._confidence import label_probabilities
from summarizer._document import Document
from summarizer._replies import THRESHOLD, ReplyAnswer, apply, pairs
from summarizer.models import AttributionAnswer, Basis, SourceType, Stance

TEXT = (
    "Le ministre Paul Durand a déclaré que l'usine restera ouverte.\n"
    "Le syndicat a estimé que cette promesse ne vaut rien.\n"
    "Paul Durand a ajouté que les salaires seront maintenus."
)


def _statements() -> tuple[Document, list[Attributed]]:
    doc = Document(TEXT, "fr", None)

    def said(speaker: str) -> AttributionAnswer:
        return AttributionAnswer(
            speaker=speaker, speaker_type=SourceType.named_on_record, kind="claim"
        )

    speakers = ["Paul Durand", "le syndicat", "Paul Durand"]
    return doc, [
        Attributed(n, n, sentence_quote(doc, n), said(s)) for n, s in enumerate(speakers, 1)
    ]


def test_a_statement_is_paired_with_the_earlier_one_of_another_source() -> None:
    doc, attributions = _statements()
    found = [(p.response.key, p.earlier.key) for p in pairs(doc, link(doc, attributions))]
    # The first statement has nothing before it; the third is paired with the union's, the
    # nearest of another source, not with the minister's own first one.
    assert found == [(2, 1), (3, 2)]


def test_the_model_reply_makes_a_response_with_its_stance_and_how_sure_it_was() -> None:
    doc, attributions = _statements()
    statements = link(doc, attributions, {2: Reply(1, Stance.disputes, 0.91), 3: Reply(2, None)})

    assert [d.key for d in statements.claims] == [1, 3]
    (response,) = statements.responses
    assert response.key == 2 and response.target is not None and response.target.key == 1
    judged, basis, note = stance(doc, response)
    assert (judged, basis) == (Stance.disputes, Basis.model)
    assert note is not None and "0.91" in note
    # Without the pass's answers nothing here is a response: no stance phrase in the text.
    assert link(doc, attributions).responses == []


def test_an_answer_the_model_is_unsure_of_leaves_a_claim() -> None:
    assert apply(1, ReplyAnswer(answers="disputes"), THRESHOLD / 2).stance is None
    assert apply(1, ReplyAnswer(answers="disputes"), None).stance is Stance.disputes
    assert apply(1, ReplyAnswer(answers="no"), 0.99).stance is None
    assert apply(1, ReplyAnswer(answers="qualifies"), 0.8) == Reply(1, Stance.qualifies, 0.8)


def _completion(tokens: list[tuple[str, float]], text: str | None = None) -> Any:
    content = [SimpleNamespace(token=t, logprob=lp) for t, lp in tokens]
    return SimpleNamespace(
        choices=[
            SimpleNamespace(
                message=SimpleNamespace(
                    content=text if text is not None else "".join(t for t, _ in tokens)
                ),
                logprobs=SimpleNamespace(content=content),
            )
        ]
    )


def test_a_label_probability_is_that_of_the_tokens_that_wrote_it() -> None:
    tokens = [
        ('{"', 0.0), ("R2", 0.0), ('":', 0.0), (' {"', 0.0), ("answers", 0.0), ('":', 0.0),
        (' "', 0.0), ("dis", -0.5), ("putes", -0.1), ('"}', 0.0), (', "', 0.0), ("R3", 0.0),
        ('":', 0.0), (' {"', 0.0), ("answers", 0.0), ('":', 0.0), (' "', -0.2), ("no", -0.01),
        ('"}}', 0.0),
    ]  # fmt: skip
    found = label_probabilities(_completion(tokens))
    assert set(found) == {"R2.answers", "R3.answers"}
    assert abs(found["R2.answers"] - 0.5488) < 1e-3  # exp(-0.6): both tokens of "disputes"
    assert abs(found["R3.answers"] - 0.9900) < 1e-3  # the quotes' tokens around it do not count
    # Tokens that do not spell the answer (a tool call, a re-encoding) give no probability.
    assert label_probabilities(_completion(tokens, text='{"R2": {"answers": "no"}}')) == {}
    assert label_probabilities(SimpleNamespace(choices=[])) == {}
