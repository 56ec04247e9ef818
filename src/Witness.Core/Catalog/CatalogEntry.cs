namespace Witness.Catalog;

/// <summary>A catalog entry with its template compiled once, when the entry was set.</summary>
internal sealed record CatalogEntry(ActionDefinition Definition, CompiledTemplate Template)
{
    /// <summary>The entry's personal paths, parsed once (the definition was validated before).</summary>
    public Events.PersonalPaths? Personal { get; } = Events.PersonalPaths.Of(Definition.Personal);

    /// <summary>The paths of an event whose description the template rendered: <see cref="Personal"/>, and the description when the template reads a personal value.</summary>
    public Events.PersonalPaths? PersonalWhenRendered { get; } =
        Template.Placeholders.Any(p => Events.PersonalPaths.ReadsPersonal(p, Events.PersonalPaths.Of(Definition.Personal)))
            ? Events.PersonalPaths.WithDescription(Events.PersonalPaths.Of(Definition.Personal))
            : Events.PersonalPaths.Of(Definition.Personal);
}
