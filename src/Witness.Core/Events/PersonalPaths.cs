using System.Text;
using System.Text.RegularExpressions;

namespace Witness.Events;

/// <summary>
/// The paths a tenant's catalog entry marks personal for its action (docs/erasure.md): <c>targets[].name</c>
/// (every target's name), <c>metadata</c> or <c>metadata.key…</c>, and <c>changes.before…</c> /
/// <c>changes.after…</c>. Every string value at or under a marked path is personal: it enters the leaf as a
/// commitment like <c>actor.email</c> and is erased with the subject. The paths travel in the event's
/// personal record, so the leaf can be recomputed whatever the catalog says later. Immutable.
/// </summary>
public sealed partial class PersonalPaths
{
    /// <summary>At most this many marked paths in one catalog entry.</summary>
    public const int MaxPaths = 16;

    /// <summary>At most this many characters in one path.</summary>
    public const int MaxPathLength = 200;

    /// <summary>The one path that marks the targets' names.</summary>
    public const string TargetNames = "targets[].name";

    /// <summary>What a valid path looks like, for error messages.</summary>
    public const string Grammar = "targets[].name, metadata[.key…] or changes.before|after[.key…], keys of A-Z a-z 0-9 _ -";

    [GeneratedRegex(@"^(metadata|changes\.before|changes\.after)(\.[A-Za-z0-9_-]{1,64}){0,8}\z")]
    private static partial Regex FreeFormPath();

    private PersonalPaths(IReadOnlyList<string> paths)
    {
        Paths = paths;
        MarksTargetNames = paths.Contains(TargetNames, StringComparer.Ordinal);
        Segments = [.. paths.Where(p => p != TargetNames).Select(p => p.Split('.').Select(Encoding.UTF8.GetBytes).ToArray())];
        var header = new List<byte> { (byte)paths.Count };
        foreach (var path in paths)
        {
            header.Add((byte)path.Length);
            header.AddRange(Encoding.ASCII.GetBytes(path));
        }

        Header = [.. header];
    }

    /// <summary>The paths as the catalog entry gives them.</summary>
    public IReadOnlyList<string> Paths { get; }

    internal bool MarksTargetNames { get; }

    /// <summary>The <c>metadata</c> and <c>changes</c> paths, split at their dots (the first segment is the member of the event).</summary>
    internal byte[][][] Segments { get; }

    /// <summary>How the paths are written in a personal record: a count, then each path's length and ASCII bytes.</summary>
    internal byte[] Header { get; }

    /// <summary>Checks one path; null when valid, else what is wrong.</summary>
    public static string? Check(string? path) =>
        path is null || path.Length == 0 || path.Length > MaxPathLength || (path != TargetNames && !FreeFormPath().IsMatch(path))
            ? $"must be {Grammar}"
            : null;

    /// <summary>The paths, or null when there are none. Throws <see cref="ArgumentException"/> for a path <see cref="Check"/> refuses, a repeated path or too many.</summary>
    public static PersonalPaths? Of(IReadOnlyList<string>? paths)
    {
        if (paths is null || paths.Count == 0)
        {
            return null;
        }

        if (paths.Count > MaxPaths || paths.Distinct(StringComparer.Ordinal).Count() != paths.Count || paths.Any(p => Check(p) is not null))
        {
            throw new ArgumentException($"personal paths must be at most {MaxPaths} distinct paths of the form {Grammar}", nameof(paths));
        }

        return new PersonalPaths([.. paths]);
    }

    /// <summary>Reads the paths at the start of a record's header (after its kind byte); returns the bytes read, or -1 when they are not valid paths.</summary>
    internal static int TryRead(ReadOnlySpan<byte> header, out PersonalPaths? paths)
    {
        paths = null;
        if (header.Length == 0 || header[0] is 0 or > MaxPaths)
        {
            return -1;
        }

        var list = new List<string>(header[0]);
        var at = 1;
        for (var i = 0; i < header[0]; i++)
        {
            if (at >= header.Length || at + 1 + header[at] > header.Length)
            {
                return -1;
            }

            list.Add(Encoding.ASCII.GetString(header.Slice(at + 1, header[at])));
            at += 1 + header[at];
        }

        try
        {
            paths = Of(list);
            return at;
        }
        catch (ArgumentException)
        {
            return -1;
        }
    }
}
