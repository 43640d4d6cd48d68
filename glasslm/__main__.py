from glasslm.cli import main

raise SystemExit(main())
