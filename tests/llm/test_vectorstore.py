import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from steergraph.errors import InputError, InputFileError
from steergraph.llm import FaissVectorStore


@pytest.fixture()
def store():
    s = FaissVectorStore(DeterministicFakeEmbedding(size=16))
    s.add_texts(
        ["apple pie", "graph search", "tool planning"],
        [{"i": 0}, {"i": 1}, {"i": 2}],
        ids=["a", "b", "c"],
    )
    return s


def test_search_finds_the_exact_text(store):
    hits = store.similarity_search_with_score("graph search", k=2)
    assert hits[0][0].page_content == "graph search" and hits[0][0].metadata == {"i": 1}
    assert hits[0][1] >= hits[1][1]


def test_save_load_round_trip(store, tmp_path):
    store.save(tmp_path / "vs")
    loaded = FaissVectorStore.load(tmp_path / "vs", DeterministicFakeEmbedding(size=16))
    assert len(loaded) == 3
    for q in ["apple pie", "tool planning"]:
        assert [d.id for d in loaded.similarity_search(q, k=3)] == [
            d.id for d in store.similarity_search(q, k=3)
        ]
    loaded.add_texts(["new doc"], ids=["d"])
    assert loaded.similarity_search("new doc", k=1)[0].id == "d"


def test_delete_and_replace(store):
    assert store.delete(["b"])
    assert "b" not in [d.id for d in store.similarity_search("graph search", k=3)]
    store.add_texts(["apple tart"], ids=["a"])
    assert store.get_by_ids(["a"])[0].page_content == "apple tart" and len(store) == 2


def test_bad_inputs(store, tmp_path):
    with pytest.raises(InputError, match="same length"):
        store.add_texts(["x", "y"], [{}])
    with pytest.raises(InputError, match="dimension"):
        store._ensure_index(3)
    with pytest.raises(InputFileError, match="no saved vector store"):
        FaissVectorStore.load(tmp_path, DeterministicFakeEmbedding(size=16))


def test_retriever_interface(store):
    docs = store.as_retriever(search_kwargs={"k": 1}).invoke("apple pie")
    assert docs[0].id == "a"
