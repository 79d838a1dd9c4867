package io.modelpool.devstack.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.devstack.registry.RegistryState.Version;
import io.modelpool.devstack.registry.StoreRecord.ConfigCleared;
import io.modelpool.devstack.registry.StoreRecord.ConfigSet;
import io.modelpool.devstack.registry.StoreRecord.SchemaErased;
import io.modelpool.devstack.registry.StoreRecord.SchemaRegistered;
import io.modelpool.devstack.registry.StoreRecord.VersionSoftDeleted;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The log-replay rules that let registry instances agree: first writer wins, one id per schema and back. */
class RegistryStateTest {

    private static final String A = RegistryService.parse(Schemas.record("A")).toString();
    private static final String B = RegistryService.parse(Schemas.record("B")).toString();

    private final RegistryState state = new RegistryState();

    @Test
    void anIdClaimedEarlierInTheLogKeepsItsSchema() {
        state.apply(new SchemaRegistered("left", 1, 1, A));
        state.apply(new SchemaRegistered("right", 1, 1, B));

        assertThat(state.schema(1)).contains(A);
        assertThat(state.hasSubject("right")).isFalse();
        assertThat(state.id(B)).isEmpty();
    }

    @Test
    void aSchemaKeepsTheIdItGotFirstAcrossSubjects() {
        state.apply(new SchemaRegistered("left", 1, 1, A));
        state.apply(new SchemaRegistered("right", 1, 2, A));
        state.apply(new SchemaRegistered("right", 1, 1, A));

        assertThat(state.versions("right", false)).extracting(Version::id).containsExactly(1);
        assertThat(state.ids()).containsExactly(1);
    }

    @Test
    void aVersionTakenEarlierInTheLogIsNotOverwritten() {
        state.apply(new SchemaRegistered("s", 1, 1, A));
        state.apply(new SchemaRegistered("s", 1, 2, B));

        assertThat(state.version("s", 1)).map(Version::schema).contains(A);
        assertThat(state.schema(2)).isEmpty();
    }

    @Test
    void aSubjectHoldsALiveSchemaUnderOneVersionOnly() {
        state.apply(new SchemaRegistered("s", 1, 1, A));
        state.apply(new SchemaRegistered("s", 2, 1, A));

        assertThat(state.versions("s", true)).extracting(Version::version).containsExactly(1);
    }

    @Test
    void aSoftDeletedSchemaMayBeRegisteredAgainAsANewVersionWithTheSameId() {
        state.apply(new SchemaRegistered("s", 1, 1, A));
        state.apply(new VersionSoftDeleted("s", 1, 1));
        state.apply(new SchemaRegistered("s", 2, 1, A));

        assertThat(state.versions("s", false)).extracting(Version::version).containsExactly(2);
        assertThat(state.versions("s", true)).extracting(Version::version).containsExactly(1, 2);
        assertThat(state.maxVersion("s")).isEqualTo(2);
    }

    @Test
    void erasingTheLosingProposalLeavesTheWinnerInPlace() {
        state.apply(new SchemaRegistered("s", 1, 1, A));
        SchemaRegistered loser = new SchemaRegistered("s", 1, 2, B);
        state.apply(loser);
        state.apply(new SchemaErased("s", 1, 2, loser.fingerprint()));

        assertThat(state.version("s", 1)).map(Version::schema).contains(A);
        assertThat(state.schema(1)).contains(A);
    }

    @Test
    void erasingTheLastUseOfAnIdFreesIt() {
        SchemaRegistered registered = new SchemaRegistered("s", 1, 1, A);
        state.apply(registered);
        state.apply(new VersionSoftDeleted("s", 1, 1));
        state.apply(new SchemaErased("s", 1, 1, registered.fingerprint()));

        assertThat(state.hasSubject("s")).isFalse();
        assertThat(state.schema(1)).isEmpty();
        assertThat(state.maxId())
                .as("ids are not handed out twice by this instance")
                .isEqualTo(1);
    }

    @Test
    void anIdUsedByAnotherSubjectSurvivesThePermanentDeleteOfOne() {
        SchemaRegistered left = new SchemaRegistered("left", 1, 1, A);
        state.apply(left);
        state.apply(new SchemaRegistered("right", 1, 1, A));
        state.apply(new SchemaErased("left", 1, 1, left.fingerprint()));

        assertThat(state.schema(1)).contains(A);
        assertThat(state.usesOf(1, true)).extracting(Version::subject).containsExactly("right");
    }

    @Test
    void subjectLevelsOverrideTheGlobalOneUntilCleared() {
        state.apply(new ConfigSet(null, CompatibilityLevel.FULL));
        state.apply(new ConfigSet("s", CompatibilityLevel.NONE));

        assertThat(state.effectiveLevel("s")).isEqualTo(CompatibilityLevel.NONE);
        assertThat(state.effectiveLevel("other")).isEqualTo(CompatibilityLevel.FULL);

        state.apply(new ConfigCleared("s"));
        state.apply(new ConfigCleared(null));

        assertThat(state.effectiveLevel("s")).isEqualTo(CompatibilityLevel.BACKWARD);
    }

    @Test
    void storeRecordsSurviveTheirJsonEncoding() {
        List<StoreRecord> records = List.of(
                new SchemaRegistered("s", 3, 7, A),
                new SchemaErased("s", 3, 7, StoreRecord.fingerprint(A)),
                new VersionSoftDeleted("s", 3, 7),
                new StoreRecord.SoftDeleteErased("s", 3),
                new ConfigSet(null, CompatibilityLevel.FORWARD_TRANSITIVE),
                new ConfigCleared("s"));

        for (StoreRecord record : records) {
            StoreRecord.Encoded encoded = StoreRecord.Codec.encode(record);
            assertThat(StoreRecord.Codec.decode(encoded.key(), encoded.value())).contains(record);
        }
    }

    @Test
    void aRegistrationAndItsTombstoneShareOneKeySoCompactionDropsBoth() {
        SchemaRegistered registered = new SchemaRegistered("s", 1, 1, A);
        byte[] registrationKey = StoreRecord.Codec.encode(registered).key();
        byte[] tombstoneKey = StoreRecord.Codec.encode(new SchemaErased("s", 1, 1, registered.fingerprint()))
                .key();
        byte[] rivalKey =
                StoreRecord.Codec.encode(new SchemaRegistered("s", 1, 2, B)).key();

        assertThat(tombstoneKey).isEqualTo(registrationKey);
        assertThat(rivalKey).isNotEqualTo(registrationKey);
    }

    @Test
    void recordsOfAnotherFormatAreSkipped() {
        byte[] confluentKey = "{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1,\"magic\":1}".getBytes();

        assertThat(StoreRecord.Codec.decode(confluentKey, "{}".getBytes())).isEmpty();
        assertThat(StoreRecord.Codec.decode("not json".getBytes(), null)).isEmpty();
    }
}
