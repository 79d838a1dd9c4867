/**
 * The launcher: {@code modelpool-local}, the devstack's broker and registry, one worker and (with {@code --embed})
 * the {@code modelpool embed} job in one process, for a first run. The only module that depends on the worker, the
 * devstack and the command line client together; nothing depends on it.
 *
 * <p>It owns what a person sees there: the terminal shows where the stack is, the job's progress, the warnings that
 * concern them and a summary; the whole log goes to a file ({@link io.modelpool.local.LocalLogging}).
 */
package io.modelpool.local;
