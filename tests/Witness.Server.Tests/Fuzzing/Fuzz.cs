using FsCheck;
using FsCheck.Fluent;

namespace Witness.Server.Tests.Fuzzing;

/// <summary>
/// Runs a property over generated inputs with FsCheck. A CI run tries the number of cases each test
/// names; env <c>WITNESS_FUZZ_SCALE</c> multiplies them for a longer run (<c>bench/fuzz.sh</c>). A
/// failure throws with the shrunk input and the seed that replays it.
/// </summary>
internal static class Fuzz
{
    /// <summary>How many times more cases than in CI are tried: env <c>WITNESS_FUZZ_SCALE</c>, 1 by default.</summary>
    public static int Scale =>
        int.TryParse(Environment.GetEnvironmentVariable("WITNESS_FUZZ_SCALE"), out var scale) && scale >= 1 ? scale : 1;

    public static void Check<T>(Gen<T> inputs, Action<T> property, int cases)
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(cases * Scale).WithQuietOnSuccess(true);
        FsCheck.Check.One(config, Prop.ForAll(inputs.ToArbitrary(), property));
    }
}
