namespace Witness.Server.Console;

/// <summary>The console's icons: fixed inline SVG (no data, no script), drawn with the text colour.</summary>
internal static class Icons
{
    private const string Open = "<svg class=\"icon\" viewBox=\"0 0 24 24\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" stroke-linecap=\"round\" stroke-linejoin=\"round\" aria-hidden=\"true\" focusable=\"false\">";

    public const string Logo =
        "<svg class=\"logo\" viewBox=\"0 0 32 32\" aria-hidden=\"true\" focusable=\"false\"><rect width=\"32\" height=\"32\" rx=\"8\" fill=\"#4f46e5\"/>" +
        "<path d=\"M8 10l3.2 12L16 13l4.8 9L24 10\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2.6\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>";

    public const string Search = Open + "<circle cx=\"11\" cy=\"11\" r=\"7\"/><path d=\"M20 20l-3.5-3.5\"/></svg>";
    public const string Download = Open + "<path d=\"M12 4v11\"/><path d=\"M7 10l5 5 5-5\"/><path d=\"M5 20h14\"/></svg>";
    public const string ChevronDown = Open + "<path d=\"M6 9l6 6 6-6\"/></svg>";
    public const string ChevronRight = Open + "<path d=\"M9 6l6 6-6 6\"/></svg>";
    public const string ChevronLeft = Open + "<path d=\"M15 6l-6 6 6 6\"/></svg>";
    public const string Close = Open + "<path d=\"M6 6l12 12\"/><path d=\"M18 6L6 18\"/></svg>";
    public const string Shield = Open + "<path d=\"M12 3l7 3v6c0 4.5-3 7.7-7 9-4-1.3-7-4.5-7-9V6z\"/><path d=\"M9 12l2 2 4-4\"/></svg>";
    public const string Warning = Open + "<path d=\"M12 4l9 16H3z\"/><path d=\"M12 10v4\"/><path d=\"M12 17h.01\"/></svg>";
    public const string Gear = Open + "<circle cx=\"12\" cy=\"12\" r=\"3\"/><path d=\"M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z\"/></svg>";
    public const string Key = Open + "<circle cx=\"8\" cy=\"15\" r=\"4\"/><path d=\"M11 12l9-9\"/><path d=\"M17 6l3 3\"/></svg>";
    public const string Lock = Open + "<rect x=\"5\" y=\"11\" width=\"14\" height=\"10\" rx=\"2\"/><path d=\"M8 11V7a4 4 0 0 1 8 0v4\"/></svg>";
    public const string Building = Open + "<rect x=\"4\" y=\"3\" width=\"16\" height=\"18\" rx=\"2\"/><path d=\"M9 7h.01M15 7h.01M9 11h.01M15 11h.01M9 15h.01M15 15h.01\"/></svg>";
    public const string Inbox = Open + "<path d=\"M4 13l2.5-7h11L20 13v6H4z\"/><path d=\"M4 13h5l1 2h4l1-2h5\"/></svg>";
    public const string External = Open + "<path d=\"M14 4h6v6\"/><path d=\"M20 4l-9 9\"/><path d=\"M18 14v5H5V6h5\"/></svg>";
}
