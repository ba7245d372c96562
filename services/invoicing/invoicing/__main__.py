from invoicing.entrypoints.cli import main

main()
