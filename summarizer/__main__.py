from summarizer._cli import main

main()
