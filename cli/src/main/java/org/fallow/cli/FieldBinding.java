package org.fallow.cli;

import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Binds an option or parameter of a command built through picocli's programmatic API ({@link FallowMain#spec},
 * {@link ListCommand#spec}) to a field of its command object, as the annotation model would, without the reflection:
 * reading annotations makes the JVM generate a proxy class per annotation type, a good part of a short command's
 * start-up (docs/BENCHMARKS.md "CLI start-up").
 */
public final class FieldBinding<V> implements IGetter, ISetter {
    private final Supplier<V> get;
    private final Consumer<V> set;

    private FieldBinding(Supplier<V> get, Consumer<V> set) {
        this.get = get;
        this.set = set;
    }

    public static <V> FieldBinding<V> of(Supplier<V> get, Consumer<V> set) { return new FieldBinding<>(get, set); }

    @SuppressWarnings("unchecked")
    @Override public <T> T get() { return (T) get.get(); }

    @SuppressWarnings("unchecked")
    @Override public <T> T set(T value) {
        T old = get();
        set.accept((V) value);
        return old;
    }
}
