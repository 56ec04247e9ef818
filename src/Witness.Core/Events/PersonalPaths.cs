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

    /// <summary>
    /// The path of a record (never of a catalog entry) whose event's <c>description</c> was rendered by the catalog from a
    /// template that reads a personal value: the description is then a personal value itself (docs/erasure.md).
    /// </summary>
    public const string Description = "description";

    /// <summary>What a valid path looks like, for error messages.</summary>
    public const string Grammar = "targets[].name, metadata[.key…] or changes.before|after[.key…], keys of A-Z a-z 0-9 _ -";

    [GeneratedRegex(@"^(metadata|changes\.before|changes\.after)(\.[A-Za-z0-9_-]{1,64}){0,8}\z")]
    private static partial Regex FreeFormPath();

    private PersonalPaths(IReadOnlyList<string> paths)
    {
        Paths = paths;
        MarksTargetNames = paths.Contains(TargetNames, StringComparer.Ordinal);
        MarksDescription = paths.Contains(Description, StringComparer.Ordinal);
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

    /// <summary>Whether the record's event has its rendered description as a personal value (<see cref="Description"/>).</summary>
    public bool MarksDescription { get; }

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

    /// <summary>
    /// These paths and <see cref="Description"/>, for an event whose description the catalog rendered from a template
    /// that reads a personal value (<see cref="ReadsPersonal"/>); null <paramref name="paths"/> gives the description alone.
    /// </summary>
    public static PersonalPaths WithDescription(PersonalPaths? paths) =>
        paths is { MarksDescription: true } ? paths : new PersonalPaths([.. paths?.Paths ?? [], Description]);

    /// <summary>
    /// Whether a template placeholder (<c>actor.email</c>, <c>targets[1].name</c>, <c>metadata.customer</c>…) reads a
    /// personal value: a built-in one (<c>actor.name|email</c>, <c>context.ip|user_agent|location.*</c>) or one at or
    /// under (or holding) a path of <paramref name="marked"/>.
    /// </summary>
    public static bool ReadsPersonal(string placeholder, PersonalPaths? marked)
    {
        if (placeholder is "actor.name" or "actor.email" or "context.ip" or "context.user_agent" or "context.location.country" or "context.location.city")
        {
            return true;
        }

        if (marked is null)
        {
            return false;
        }

        var path = IndexSuffix().Replace(placeholder, "");
        if (marked.MarksTargetNames && (path is "target.name" or "targets.name"))
        {
            return true;
        }

        foreach (var p in marked.Paths)
        {
            if (p is TargetNames or Description)
            {
                continue;
            }

            if (path == p || path.StartsWith(p + ".", StringComparison.Ordinal) || p.StartsWith(path + ".", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"\[[0-9]+\]")]
    private static partial Regex IndexSuffix();

    /// <summary>Reads the paths at the start of a record's header (after its kind byte); returns the bytes read, or -1 when they are not valid paths.</summary>
    internal static int TryRead(ReadOnlySpan<byte> header, out PersonalPaths? paths)
    {
        paths = null;
        if (header.Length == 0 || header[0] is 0 or > MaxPaths + 1)
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
            // The description path is written by the intake, never by a catalog entry: it may come on top of the entry's paths.
            paths = list.Remove(Description) ? WithDescription(Of(list)) : Of(list);
            return paths is null ? -1 : at;
        }
        catch (ArgumentException)
        {
            return -1;
        }
    }
}
