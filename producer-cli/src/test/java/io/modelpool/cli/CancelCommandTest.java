package io.modelpool.cli;

import static io.modelpool.cli.StatusTopic.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.JobAction;
import io.modelpool.v1.JobControl;
import io.modelpool.v1.JobState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code modelpool cancel}, and {@code wait} on a cancelled job, against job topics on the devstack broker. */
class CancelCommandTest {

    private final StatusTopic topic = StatusTopic.create();

    @AfterEach
    void close() {
        topic.close();
    }

    private void createControlTopic() {
        SharedDevStack.get()
                .createTopics(List.of(new NewTopic(Topics.jobControl(topic.prefix), 1, (short) 1)
                        .configs(Map.of("cleanup.policy", "compact"))));
    }

    private List<JobControl> controls() {
        String name = Topics.jobControl(topic.prefix);
        Map<String, Object> config = new HashMap<>(SharedDevStack.get().clientConfig());
        List<JobControl> read = new ArrayList<>();
        try (KafkaConsumer<String, JobControl> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(JobControl.class, config, false))) {
            TopicPartition tp = new TopicPartition(name, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, JobControl> r : consumer.poll(Duration.ofMillis(100))) {
                    read.add(r.value());
                }
                return consumer.position(tp) >= end;
            });
        }
        return read;
    }

    @Test
    void cancellingARunningJobWritesOneCancelKeyedByTheJobAndExitsZero() {
        createControlTopic();
        topic.publish(status("job-r", JobState.RUNNING, 100, 10, Map.of()));

        CommandRun run = CommandRun.of(topic.args("cancel", "job-r"));

        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.OK);
        assertThat(run.err()).contains("job job-r cancelled", "modelpool status job-r");
        assertThat(controls()).singleElement().satisfies(c -> {
            assertThat(c.getJobId()).isEqualTo("job-r");
            assertThat(c.getAction()).isEqualTo(JobAction.CANCEL);
            assertThat(c.getRequestedBy()).contains("@");
        });
    }

    @Test
    void cancellingAnUnknownJobExitsThreeAndWritesNothing() {
        createControlTopic();
        topic.publish(status("job-a", JobState.RUNNING, 100, 10, Map.of()));

        CommandRun run = CommandRun.of(topic.args("cancel", "nope"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.UNKNOWN_JOB);
        assertThat(run.err()).contains("modelpool cancel: no job nope", "nothing to cancel");
        assertThat(controls()).isEmpty();
    }

    @Test
    void cancellingAnEndedJobExitsFourSayingHowItEndedAndACancellingOneIsNotCancelledTwice() {
        createControlTopic();
        topic.publish(status("job-done", JobState.COMPLETED, 4, 4, Map.of()));
        topic.publish(status("job-gone", JobState.EXPIRED, 4, 1, Map.of("EXPIRED", 3L)));
        topic.publish(status("job-going", JobState.CANCELLING, 4, 1, Map.of()));

        CommandRun done = CommandRun.of(topic.args("cancel", "job-done"));
        CommandRun gone = CommandRun.of(topic.args("cancel", "job-gone"));
        CommandRun going = CommandRun.of(topic.args("cancel", "job-going"));

        assertThat(done.exitCode()).isEqualTo(ExitCodes.JOB_ENDED);
        assertThat(done.err()).contains("job job-done has already ended", "COMPLETED: 4 of 4 succeeded");
        assertThat(gone.exitCode()).isEqualTo(ExitCodes.JOB_ENDED);
        assertThat(gone.err()).contains("EXPIRED", "EXPIRED=3");
        assertThat(going.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(going.err()).contains("already being cancelled");
        assertThat(controls()).isEmpty();
    }

    @Test
    void cancellingWithoutTheControlTopicExitsOneNamingIt() {
        topic.publish(status("job-r", JobState.RUNNING, 100, 10, Map.of()));

        CommandRun run = CommandRun.of(topic.args("cancel", "job-r"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains(Topics.jobControl(topic.prefix), "does not exist");
    }

    @Test
    void waitEndsWhenTheJobIsCancelledAndExitsTwoCountingTheCancelledRequests() {
        topic.publish(status("job-c", JobState.RUNNING, 50, 20, Map.of()));

        CompletableFuture<CommandRun> waiting = CompletableFuture.supplyAsync(
                () -> CommandRun.of(topic.args("wait", "job-c", "--timeout", "60s", "--no-progress")));
        topic.publish(status("job-c", JobState.CANCELLING, 50, 25, Map.of("CANCELLED", 5L)));
        topic.publish(status("job-c", JobState.CANCELLED, 50, 25, Map.of("CANCELLED", 25L)));

        CommandRun run = await().atMost(Duration.ofSeconds(60)).until(() -> waiting.getNow(null), r -> r != null);
        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.SOME_INPUTS_FAILED);
        assertThat(run.err()).contains("job job-c CANCELLED: 25 of 50 succeeded, 25 failed (CANCELLED=25)");
    }
}
