package io.modelpool.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.v1.Capability;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void requestAndResultTopicsUseTheDashedLowerCaseCapabilityName() {
        assertThat(Topics.requests(Topics.DEFAULT_PREFIX, Capability.TEXT_EMBEDDING))
                .isEqualTo("modelpool.text-embedding.requests");
        assertThat(Topics.results(Topics.DEFAULT_PREFIX, Capability.TEXT_TO_IMAGE))
                .isEqualTo("modelpool.text-to-image.results");
        assertThat(Arrays.stream(Capability.values()).map(Topics::name))
                .containsExactly("text-embedding", "text-to-text", "image-embedding", "vision", "text-to-image");
    }

    @Test
    void bulkRequestTopicsAreTheRequestTopicsWithABulkSuffix() {
        assertThat(Topics.bulkRequests("staging", Capability.TEXT_EMBEDDING))
                .isEqualTo("staging.text-embedding.requests.bulk");
        assertThat(Topics.isBulkRequests(Topics.bulkRequests("staging", Capability.VISION)))
                .isTrue();
        assertThat(Topics.isBulkRequests(Topics.requests("staging", Capability.VISION)))
                .isFalse();
        assertThat(Topics.isBulkRequests("staging.bulk")).isFalse();
    }

    @Test
    void sharedTopicsHangOffThePrefix() {
        assertThat(Topics.deadLetters("staging")).isEqualTo("staging.dead-letters");
        assertThat(Topics.jobs("staging")).isEqualTo("staging.jobs");
        assertThat(Topics.jobStatus("staging")).isEqualTo("staging.jobs.status");
    }

    @Test
    void everyCapabilityNameParsesBackToItsCapability() {
        for (Capability capability : Capability.values()) {
            assertThat(Topics.parse(Topics.name(capability))).isEqualTo(capability);
        }
        assertThat(Topics.parse(" Text-To-Text ")).isEqualTo(Capability.TEXT_TO_TEXT);
    }

    @Test
    void anUnknownCapabilityNameIsRefusedWithTheAcceptedNames() {
        assertThatThrownBy(() -> Topics.parse("TEXT_EMBEDDING"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'TEXT_EMBEDDING'")
                .hasMessageContaining("text-embedding, text-to-text, image-embedding, vision, text-to-image");
        assertThatThrownBy(() -> Topics.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aPrefixKafkaWouldRejectIsRefused() {
        assertThatThrownBy(() -> Topics.jobs("has space")).hasMessageContaining("invalid topic prefix 'has space'");
        assertThatThrownBy(() -> Topics.jobs("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Topics.jobs("x".repeat(240))).isInstanceOf(IllegalArgumentException.class);
    }
}
