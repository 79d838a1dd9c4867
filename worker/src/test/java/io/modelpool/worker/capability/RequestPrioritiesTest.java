package io.modelpool.worker.capability;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.RequestPriority;
import org.junit.jupiter.api.Test;

class RequestPrioritiesTest {

    private static RequestFields request(String jobId, RequestPriority priority) {
        return new RequestFields("r", jobId, "m", null, priority);
    }

    @Test
    void withoutAPriorityAJobsRequestIsBulkAndALoneRequestIsInteractive() {
        assertThat(RequestPriorities.of(request("job-1", null))).isEqualTo(RequestPriority.BULK);
        assertThat(RequestPriorities.poolClass(request("job-1", null))).isEqualTo(RequestPriorities.BULK);
        assertThat(RequestPriorities.of(request(null, null))).isEqualTo(RequestPriority.INTERACTIVE);
        assertThat(RequestPriorities.poolClass(request(null, null))).isEqualTo(RequestPriorities.INTERACTIVE);
    }

    @Test
    void anExplicitPriorityWinsOverTheJobRule() {
        assertThat(RequestPriorities.poolClass(request("job-1", RequestPriority.INTERACTIVE)))
                .isEqualTo(RequestPriorities.INTERACTIVE);
        assertThat(RequestPriorities.poolClass(request(null, RequestPriority.BULK)))
                .isEqualTo(RequestPriorities.BULK);
    }
}
