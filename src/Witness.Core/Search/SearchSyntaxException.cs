namespace Witness.Search;

/// <summary>
/// Thrown when a search query or a filter parameter cannot be understood. Witness never turns what
/// it cannot parse into a broader search: the caller gets this exception instead, and the server
/// answers 400 with <see cref="Exception.Message"/>.
/// </summary>
public sealed class SearchSyntaxException : Exception
{
    /// <summary>Creates the exception for <paramref name="term"/>; <paramref name="message"/> must name it.</summary>
    /// <param name="term">The offending input exactly as written.</param>
    /// <param name="message">What is wrong, naming <paramref name="term"/>.</param>
    public SearchSyntaxException(string term, string message)
        : base(message)
    {
        Term = term;
    }

    /// <summary>
    /// The offending input exactly as the user wrote it: a term of a query (<c>actr:bob</c>, with any
    /// leading <c>-</c> and quotes), or a parameter as <c>name=value</c> (<c>from=yesterday</c>).
    /// </summary>
    public string Term { get; }
}
