package io.modelpool.cli.command;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar manifest, or "development build" when run from classes. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = ModelpoolCommand.class.getPackage().getImplementationVersion();
        return new String[] {"modelpool " + (version != null ? version : "(development build)")};
    }
}
