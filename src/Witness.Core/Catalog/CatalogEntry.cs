namespace Witness.Catalog;

/// <summary>A catalog entry with its template compiled once, when the entry was set.</summary>
internal sealed record CatalogEntry(ActionDefinition Definition, CompiledTemplate Template)
{
    /// <summary>The entry's personal paths, parsed once (the definition was validated before).</summary>
    public Events.PersonalPaths? Personal { get; } = Events.PersonalPaths.Of(Definition.Personal);
}
