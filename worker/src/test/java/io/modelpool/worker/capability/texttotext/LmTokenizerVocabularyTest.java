package io.modelpool.worker.capability.texttotext;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The vocabulary size the causal-lm family compares with the model's logits at load. */
class LmTokenizerVocabularyTest {

    private static int size(String json) throws Exception {
        return LmTokenizer.vocabularySize(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void isOneMoreThanTheLargestIdOfTheModelsVocabularyAndTheAddedTokens() throws Exception {
        assertThat(size("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 7, \"c\": 3}}}"))
                .isEqualTo(8);
        assertThat(size("{\"added_tokens\": [{\"id\": 12, \"content\": \"<|im_end|>\"}],"
                        + " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 7}}}"))
                .isEqualTo(13);
    }

    @Test
    void countsTheEntriesOfAUnigramVocabularyList() throws Exception {
        assertThat(size("{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"<unk>\", 0.0], [\"a\", -1.5],"
                        + " [\"b\", -2.0]]}}"))
                .isEqualTo(3);
    }
}
