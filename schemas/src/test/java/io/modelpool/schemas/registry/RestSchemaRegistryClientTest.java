package io.modelpool.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.schemas.testing.Greetings;
import org.junit.jupiter.api.Test;

/** The REST client against the devstack's Confluent-compatible registry. */
class RestSchemaRegistryClientTest {

    @Test
    void registeringTheSameSchemaTwiceGivesTheSameIdAndAFetchByIdGivesTheSchemaBack() {
        String subject = DevRegistry.uniqueTopic("client") + "-value";
        int first;
        int second;
        try (SchemaRegistryClient one = DevRegistry.client();
                SchemaRegistryClient two = DevRegistry.client()) {
            first = one.register(subject, Greetings.V1);
            second = two.register(subject, Greetings.V1);
            assertThat(two.schemaById(first)).isEqualTo(Greetings.V1);
        }
        try (SchemaRegistryClient fresh = DevRegistry.client()) {
            assertThat(fresh.schemaById(first)).isEqualTo(Greetings.V1);
        }
        assertThat(second).isEqualTo(first);
    }

    @Test
    void versionsAreNumberedPerSubjectAndLatestIsTheNewest() {
        String subject = DevRegistry.uniqueTopic("client") + "-value";
        try (SchemaRegistryClient client = DevRegistry.client()) {
            int v1 = client.register(subject, Greetings.V1);
            int v2 = client.register(subject, Greetings.V2);

            RegisteredSchema latest = client.latestVersion(subject);
            RegisteredSchema first = client.version(subject, 1);
            RegisteredSchema lookedUp = client.lookup(subject, Greetings.V2);

            assertThat(latest).isEqualTo(new RegisteredSchema(subject, 2, v2, Greetings.V2));
            assertThat(first).isEqualTo(new RegisteredSchema(subject, 1, v1, Greetings.V1));
            assertThat(lookedUp).isEqualTo(latest);
        }
    }

    @Test
    void subjectsWithCharactersThatNeedEscapingWork() {
        String subject = "odd subject/with?chars&" + DevRegistry.uniqueTopic("x");
        try (SchemaRegistryClient client = DevRegistry.client()) {
            int id = client.register(subject, Greetings.V1);

            assertThat(client.latestVersion(subject).id()).isEqualTo(id);
        }
    }

    @Test
    void unknownSubjectsAndIdsAreDefiniteNotFoundAnswers() {
        try (SchemaRegistryClient client = DevRegistry.client()) {
            RegistryErrorException noSubject = catchThrowableOfType(
                    RegistryErrorException.class, () -> client.latestVersion(DevRegistry.uniqueTopic("absent")));
            RegistryErrorException noId =
                    catchThrowableOfType(RegistryErrorException.class, () -> client.schemaById(2_000_000_000));
            RegistryErrorException notUnderSubject = catchThrowableOfType(
                    RegistryErrorException.class, () -> client.lookup(DevRegistry.uniqueTopic("absent"), Greetings.V1));

            assertThat(noSubject.errorCode()).isEqualTo(RegistryErrorException.SUBJECT_NOT_FOUND);
            assertThat(noSubject.httpStatus()).isEqualTo(404);
            assertThat(noId.errorCode()).isEqualTo(RegistryErrorException.SCHEMA_NOT_FOUND);
            assertThat(notUnderSubject.isNotFound()).isTrue();
        }
    }

    @Test
    void aClosedClientRefusesCallsThatNeedTheRegistry() {
        SchemaRegistryClient client = DevRegistry.client();
        client.close();

        assertThat(catchThrowableOfType(IllegalStateException.class, () -> client.schemaById(1)))
                .hasMessageContaining("closed");
    }
}
