-- unlend_incoming: the lent frame incoming is given back.
DROP TABLE IF EXISTS incoming
